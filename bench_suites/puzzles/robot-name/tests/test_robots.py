import re

from robots import RobotFactory


def test_name_format():
    robot = RobotFactory(seed=1).create()
    assert re.fullmatch(r"[A-Z]{2}[0-9]{3}", robot.name)


def test_name_is_stable():
    robot = RobotFactory(seed=2).create()
    assert robot.name == robot.name


def test_two_robots_differ():
    f = RobotFactory(seed=3)
    assert f.create().name != f.create().name


def test_reset_changes_name():
    robot = RobotFactory(seed=4).create()
    old = robot.name
    robot.reset()
    assert robot.name != old
