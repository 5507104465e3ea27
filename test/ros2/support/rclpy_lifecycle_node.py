"""An rclpy lifecycle node kizuna did not write (rclpy.lifecycle.Node, from the Jazzy wheels), for
test/ros2/lifecycle-rclpy.test.ts: what a robot maker's own managed node (a camera driver, say) looks like
to kizuna's lifecycle_manager.

    python3 test/ros2/support/rclpy_lifecycle_node.py NAME [--ros-args ...]

It publishes std_msgs/String `NAME <n>` on `chatter` at 10 Hz through a lifecycle publisher (rclpy drops
what is published unless the node is active), prints `transition <label> <unix time, s>` on stdout as each
callback runs, and `ready <fully qualified name>` once it spins. It publishes no kizuna heartbeat: kizuna's manager keeps
its bond through `~/get_state` (lifecycle_manager's `polled_node_names`). SIGINT or SIGTERM ends it cleanly.
"""

import signal
import sys
import time

import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.lifecycle import Node, State, TransitionCallbackReturn
from std_msgs.msg import String


def say(text):
    sys.stdout.write(text + '\n')
    sys.stdout.flush()


class Driver(Node):
    def __init__(self, name):
        super().__init__(name)
        self.pub = None
        self.timer = None
        self.count = 0

    def on_configure(self, state: State) -> TransitionCallbackReturn:
        self.pub = self.create_lifecycle_publisher(String, 'chatter', 10)
        self.timer = self.create_timer(0.1, self.tick)
        say(f'transition configure {time.time():.3f}')
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state: State) -> TransitionCallbackReturn:
        say(f'transition activate {time.time():.3f}')
        return super().on_activate(state)  # activates the lifecycle publisher

    def on_deactivate(self, state: State) -> TransitionCallbackReturn:
        say(f'transition deactivate {time.time():.3f}')
        return super().on_deactivate(state)

    def on_cleanup(self, state: State) -> TransitionCallbackReturn:
        self.release()
        say(f'transition cleanup {time.time():.3f}')
        return TransitionCallbackReturn.SUCCESS

    def on_shutdown(self, state: State) -> TransitionCallbackReturn:
        self.release()
        say(f'transition shutdown {time.time():.3f}')
        return TransitionCallbackReturn.SUCCESS

    def release(self):
        if self.timer is not None:
            self.destroy_timer(self.timer)
            self.timer = None
        if self.pub is not None:
            self.destroy_lifecycle_publisher(self.pub)
            self.pub = None

    def tick(self):
        if self.pub is not None:
            self.count += 1
            self.pub.publish(String(data=f'{self.get_name()} {self.count}'))


def main():
    args = rclpy.utilities.remove_ros_args(sys.argv)
    name = args[1] if len(args) > 1 else 'rclpy_driver'
    rclpy.init(args=sys.argv)
    node = Driver(name)
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    signal.signal(signal.SIGTERM, lambda *_: rclpy.try_shutdown())
    say(f'ready {node.get_fully_qualified_name()}')
    try:
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == '__main__':
    main()
