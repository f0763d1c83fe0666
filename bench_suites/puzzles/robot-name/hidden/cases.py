"""Checks for robot-name, run by the cases scorer. Names are random, so most cases return the raw names and
sets they observed and a host-side check in ``verdicts.py`` judges them (format, uniqueness, same sequence for
the same seed); where a literal can state the result (a single possible name, an expected exception) it is
the ``expect=`` literal, stripped before this file enters the sandbox and compared outside it."""

import random

from hybrid_cases import attempt, case, raised
from robots import RobotFactory

# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(check="visible_name_format")
def visible_name_format():
    return RobotFactory(seed=1).create().name


@case(check="same_name_twice")
def visible_name_is_stable():
    robot = RobotFactory(seed=2).create()
    return [robot.name, robot.name]


@case(check="two_different_names")
def visible_two_robots_differ():
    f = RobotFactory(seed=3)
    return [f.create().name, f.create().name]


@case(check="two_different_names")
def visible_reset_changes_name():
    robot = RobotFactory(seed=4).create()
    old = robot.name
    robot.reset()
    return [old, robot.name]


# -- hidden --------------------------------------------------------------------------------------------


@case(check="same_seed_same_sequence")
def same_seed_same_sequence_regardless_of_global_random():
    random.seed(1)
    fa = RobotFactory(seed=42)
    seq_a = [fa.create().name for _ in range(20)]
    random.seed(999)
    random.random()
    fb = RobotFactory(seed=42)
    seq_b = [fb.create().name for _ in range(20)]
    return [seq_a, seq_b]


@case(check="different_seeds_differ")
def different_seeds_differ():
    f1, f2 = RobotFactory(seed=10), RobotFactory(seed=11)
    return [[f1.create().name for _ in range(10)], [f2.create().name for _ in range(10)]]


@case(check="many_names_unique")
def many_names_unique():
    f = RobotFactory(seed=7)
    robots = [f.create() for _ in range(3000)]
    return [[r.name for r in robots], f.names_in_use()]


@case(check="custom_alphabet_format")
def custom_alphabet_format():
    f = RobotFactory(seed=5, letters="XY", digits="79")
    return [f.create().name for _ in range(10)]


@case(check="exhaustion_raises")
def exhaustion_raises():
    f = RobotFactory(seed=3, letters="AB", digits="01")
    names = [f.create().name for _ in range(32)]
    return [names, attempt(f.create)]


@case(check="reset_releases_old_name_for_reuse")
def reset_releases_old_name_for_reuse():
    f = RobotFactory(seed=8, letters="A", digits="01")  # 8 possible names
    robots = [f.create() for _ in range(7)]
    in_use_before = f.names_in_use()
    old = robots[0].name
    robots[0].reset()
    new = robots[0].name
    in_use_after = f.names_in_use()
    newcomer = f.create()
    return [in_use_before, old, new, in_use_after, newcomer.name]


@case(check="reset_never_returns_current_name")
def reset_never_returns_current_name():
    f = RobotFactory(seed=12, letters="A", digits="01")
    robot = f.create()
    steps = []
    for _ in range(200):
        before = robot.name
        robot.reset()
        steps.append([before, robot.name, f.names_in_use()])
    return steps


@case(expect=[raised("RuntimeError", "no names left"), "AA000", {"AA000"}])
def reset_when_full_raises_and_keeps_name():
    f = RobotFactory(seed=6, letters="A", digits="0")  # a single possible name
    robot = f.create()
    return [attempt(robot.reset), robot.name, f.names_in_use()]


@case(expect=["AA000", "AA000"])
def factories_are_independent():
    f1 = RobotFactory(seed=1, letters="A", digits="0")
    f2 = RobotFactory(seed=1, letters="A", digits="0")
    return [f1.create().name, f2.create().name]


@case(expect=raised("AttributeError"))
def name_is_read_only():
    robot = RobotFactory(seed=9).create()
    return attempt(setattr, robot, "name", "ZZ999")
