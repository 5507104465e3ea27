"""Prints every distribution pip installed in this environment as name==version (the lock of requirements.in)."""
import importlib.metadata as m
out = set()
for d in m.distributions():
    name = d.metadata['Name']
    if (d.read_text('INSTALLER') or '').strip() == 'pip' and name not in ('pip', 'setuptools'):
        out.add(name + '==' + d.version)
print('\n'.join(sorted(out, key=str.lower)))
