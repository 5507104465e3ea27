"""Runs a launch file the way `ros2 launch <file> name:=value ...` does, with only the `launch` package.

    python3 test/helpers/run_launch.py launch/kizuna.launch.py robot_id:=r1 profile:=care

The ROS 2 command line (ros2launch) is not needed: like it, this includes the file (Python or XML, by
extension) with the arguments into a LaunchService and runs it until it shuts down. Exits with the
launch service's return code. Used by test/integration/launch-files.test.ts.
"""

import sys

from launch import LaunchDescription, LaunchService
from launch.actions import IncludeLaunchDescription
from launch.launch_description_sources import AnyLaunchDescriptionSource


def main(argv):
    if len(argv) < 1:
        sys.stderr.write('usage: run_launch.py FILE [name:=value ...]\n')
        return 2
    path, rest = argv[0], argv[1:]
    args = []
    for item in rest:
        if ':=' not in item:
            sys.stderr.write(f"run_launch.py: expected name:=value, got '{item}'\n")
            return 2
        name, value = item.split(':=', 1)
        args.append((name, value))
    service = LaunchService(argv=rest)
    service.include_launch_description(LaunchDescription([
        IncludeLaunchDescription(AnyLaunchDescriptionSource(path), launch_arguments=args),
    ]))
    return service.run()


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
