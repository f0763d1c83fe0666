import random
import re

import pytest
from robots import RobotFactory


def test_same_seed_same_sequence_regardless_of_global_random():
    random.seed(1)
    fa = RobotFactory(seed=42)
    seq_a = [fa.create().name for _ in range(20)]
    random.seed(999)
    random.random()
    fb = RobotFactory(seed=42)
    seq_b = [fb.create().name for _ in range(20)]
    assert seq_a == seq_b


def test_different_seeds_differ():
    f1, f2 = RobotFactory(seed=10), RobotFactory(seed=11)
    assert [f1.create().name for _ in range(10)] != [f2.create().name for _ in range(10)]


def test_many_names_unique():
    f = RobotFactory(seed=7)
    robots = [f.create() for _ in range(3000)]
    names = {r.name for r in robots}
    assert len(names) == 3000
    assert f.names_in_use() == names


def test_custom_alphabet_format():
    f = RobotFactory(seed=5, letters="XY", digits="79")
    for _ in range(10):
        assert re.fullmatch(r"[XY]{2}[79]{3}", f.create().name)


def test_exhaustion_raises():
    f = RobotFactory(seed=3, letters="AB", digits="01")
    names = {f.create().name for _ in range(32)}
    assert len(names) == 32
    with pytest.raises(RuntimeError, match="no names left"):
        f.create()


def test_reset_releases_old_name_for_reuse():
    f = RobotFactory(seed=8, letters="A", digits="01")  # 8 possible names
    robots = [f.create() for _ in range(7)]
    free = ({"AA" + a + b + c for a in "01" for b in "01" for c in "01"} - f.names_in_use()).pop()
    old = robots[0].name
    robots[0].reset()
    assert robots[0].name == free
    assert old not in f.names_in_use()
    newcomer = f.create()
    assert newcomer.name == old


def test_reset_never_returns_current_name():
    f = RobotFactory(seed=12, letters="A", digits="01")
    robot = f.create()
    for _ in range(200):
        before = robot.name
        robot.reset()
        assert robot.name != before
        assert f.names_in_use() == {robot.name}


def test_reset_when_full_raises_and_keeps_name():
    f = RobotFactory(seed=6, letters="A", digits="0")  # a single possible name
    robot = f.create()
    with pytest.raises(RuntimeError, match="no names left"):
        robot.reset()
    assert robot.name == "AA000"
    assert f.names_in_use() == {"AA000"}


def test_factories_are_independent():
    f1 = RobotFactory(seed=1, letters="A", digits="0")
    f2 = RobotFactory(seed=1, letters="A", digits="0")
    assert f1.create().name == f2.create().name == "AA000"


def test_name_is_read_only():
    robot = RobotFactory(seed=9).create()
    with pytest.raises(AttributeError):
        robot.name = "ZZ999"
