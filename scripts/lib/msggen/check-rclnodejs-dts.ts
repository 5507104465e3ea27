/**
 * Compiles a probe program against rclnodejs's real declarations with our generated
 * interfaces.d.ts in place of the one rclnodejs would generate, so a format drift
 * shows up as a type error rather than on a robot.
 */
import * as path from 'node:path';
import * as ts from 'typescript';

export interface DtsCheckInput {
  /** rclnodejs's `types/` directory (index.d.ts, base.d.ts, ...). */
  typesDir: string;
  /** Our interfaces.d.ts text; it replaces `typesDir/interfaces.d.ts` in memory. */
  dts: string;
  /** TypeScript source of the probe; it may `import * as rclnodejs from 'rclnodejs'`. */
  probe: string;
  /** Where `@types/node` lives, e.g. `<repo>/node_modules/@types`. */
  typeRoots: string[];
}

const RXJS_STUB = `declare module 'rxjs' {
  export interface Observable<T> {
    subscribe(next: (value: T) => void): { unsubscribe(): void };
  }
}
`;

/** Type-checks the probe strictly (lib check on); returns one line per diagnostic, empty when clean. */
export function checkRclnodejsDts(input: DtsCheckInput): string[] {
  const interfacesPath = path.resolve(input.typesDir, 'interfaces.d.ts');
  // Beside types/, so 'rxjs' and other rclnodejs dependencies resolve as they would installed.
  const probePath = path.resolve(input.typesDir, '..', '__kizuna_dts_probe__.ts');
  const stubPath = path.resolve(input.typesDir, '..', '__kizuna_rxjs_stub__.d.ts');
  const virtual = new Map([
    [interfacesPath, input.dts],
    [probePath, input.probe],
  ]);
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    types: ['node'],
    typeRoots: input.typeRoots,
  };
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (file) => virtual.has(path.resolve(file)) || fileExists.call(host, file);
  host.readFile = (file) => virtual.get(path.resolve(file)) ?? readFile.call(host, file);
  host.getSourceFile = (file, language, onError, shouldCreate) => {
    const text = virtual.get(path.resolve(file));
    return text === undefined
      ? getSourceFile.call(host, file, language, onError, shouldCreate)
      : ts.createSourceFile(file, text, language);
  };
  const roots = [path.join(input.typesDir, 'index.d.ts'), probePath];
  // rclnodejs's declarations import rxjs (a dependency of rclnodejs, not of kizuna). Where
  // only the types/ folder is at hand, stand in a minimal Observable so the check still runs.
  if (ts.resolveModuleName('rxjs', probePath, options, host).resolvedModule === undefined) {
    virtual.set(stubPath, RXJS_STUB);
    roots.push(stubPath);
  }
  const program = ts.createProgram(roots, options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file || d.start === undefined) return text;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${path.basename(d.file.fileName)}:${line + 1}: ${text}`;
  });
}
