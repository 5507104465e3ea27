"""kizuna's perception node tested the way ROS 2 packages test their nodes: a launch_testing test.

    launch_test test/ros2/launch_testing/test_perception_launch.py

Starts `kizuna run perception --graph rclnodejs` as a launch process (bin/kizuna.js of this source tree,
built with `npm run build`), waits with launch_testing_ros's WaitForTopics until its world summary arrives at
an rclpy subscriber, then checks after shutdown that the process stopped cleanly on SIGINT. Run by
test/ros2/launch-cli.test.ts inside the ROS 2 sandbox.
"""

import os
import unittest

import launch
import launch.actions
import launch_testing
import launch_testing.actions
import launch_testing.asserts
from launch_testing_ros import WaitForTopics
from kizuna_msgs.msg import WorldSummary
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))


@pytest.mark.launch_test
def generate_test_description():
    perception = launch.actions.ExecuteProcess(
        cmd=[os.environ.get('KIZUNA_NODE', 'node'), os.path.join(ROOT, 'bin', 'kizuna.js'), 'run', 'perception',
             '--graph', 'rclnodejs', '--ros-args', '-r', '__ns:=/lt',
             '--params-file', os.path.join(ROOT, 'launch', 'params', 'care.yaml')],
        name='perception',
        output='screen',
    )
    return launch.LaunchDescription([perception, launch_testing.actions.ReadyToTest()]), {'perception': perception}


class TestPerceptionRunning(unittest.TestCase):

    def test_world_summary_is_published(self, proc_output, perception):
        proc_output.assertWaitFor('running /lt/perception on the rclnodejs graph', process=perception, timeout=60)
        with WaitForTopics([('/lt/kizuna/world_summary', WorldSummary)], timeout=30.0) as wait:
            received = wait.received_messages('/lt/kizuna/world_summary')
            self.assertGreaterEqual(len(received), 1)
            self.assertGreater(received[0].header.stamp.sec, 0)


@launch_testing.post_shutdown_test()
class TestPerceptionShutdown(unittest.TestCase):

    def test_exits_cleanly_on_sigint(self, proc_info, perception):
        launch_testing.asserts.assertExitCodes(proc_info, process=perception)
