"""Host-side checks for robot-name (run by the harness, never in the sandbox). Each gets the decoded
observation of its case and returns True to pass or a reason to fail. A name must arrive as an exact ``str``
(anything else was recorded as an opaque marker by the sandbox's strict encoding)."""

import re

UPPER_NAME = re.compile(r"[A-Z]{2}[0-9]{3}")
XY79_NAME = re.compile(r"[XY]{2}[79]{3}")
NAMES_A01 = {"AA" + a + b + c for a in "01" for b in "01" for c in "01"}  # letters="A", digits="01"


def _failed(observed):
    """A reason when the case raised instead of returning, else None."""
    if getattr(observed, "kind", None) in ("raised", "exception"):
        return f"the case raised {observed.names[0] if observed.names else '?'}: {observed.message[:150]!r}"
    return None


def _parts(observed, n):
    """The case's observation as a list of ``n`` parts, or a reason (the case raised, or a wrong shape)."""
    if (why := _failed(observed)) is not None:
        return None, why
    if not isinstance(observed, list) or len(observed) != n:
        return None, f"expected {n} observations, got {observed!r}"[:300]
    return observed, None


def _not_str(*values):
    """A reason when one of the values is not a plain str, else None."""
    for v in values:
        if not isinstance(v, str):
            return f"a name is not a str: {v!r}"
    return None


def _names(value, what):
    """A list of str, or a reason."""
    if not isinstance(value, list):
        return f"{what}: expected a list of names, got {value!r}"[:300]
    return _not_str(*value)


def _is_set(value, what):
    """names_in_use() must compare equal to a set (a set or a frozenset of str)."""
    if not isinstance(value, (set, frozenset)):
        return f"{what}: names_in_use() returned {type(value).__name__}, not a set"
    return _not_str(*value)


def _raised(value, cls, pattern):
    """True when ``value`` is an exception of ``cls`` (or a subclass) whose message matches ``pattern``."""
    return (getattr(value, "kind", None) == "raised" and cls in value.names
            and re.search(pattern, value.message) is not None)


def visible_name_format(observed):
    if (why := _failed(observed) or _not_str(observed)) is not None:
        return why
    return True if UPPER_NAME.fullmatch(observed) else f"name {observed!r} is not two letters and three digits"


def same_name_twice(observed):
    observed, why = _parts(observed, 2)
    if (why := why or _not_str(*observed)) is not None:
        return why
    return True if observed[0] == observed[1] else f"name changed between two reads: {observed!r}"


def two_different_names(observed):
    observed, why = _parts(observed, 2)
    if (why := why or _not_str(*observed)) is not None:
        return why
    return True if observed[0] != observed[1] else f"both names are {observed[0]!r}"


def same_seed_same_sequence(observed):
    observed, why = _parts(observed, 2)
    if why is not None:
        return why
    seq_a, seq_b = observed
    if (why := _names(seq_a, "first factory") or _names(seq_b, "second factory")) is not None:
        return why
    if seq_a != seq_b:
        return f"same seed, different sequences: {seq_a[:3]!r}... vs {seq_b[:3]!r}..."
    return True


def different_seeds_differ(observed):
    observed, why = _parts(observed, 2)
    if why is not None:
        return why
    seq_a, seq_b = observed
    if (why := _names(seq_a, "seed 10") or _names(seq_b, "seed 11")) is not None:
        return why
    return True if seq_a != seq_b else "seeds 10 and 11 gave the same 10 names"


def many_names_unique(observed):
    observed, why = _parts(observed, 2)
    if why is not None:
        return why
    names, in_use = observed
    if (why := _names(names, "names") or _is_set(in_use, "in use")) is not None:
        return why
    unique = set(names)
    if len(unique) != 3000:
        return f"3000 robots got only {len(unique)} distinct names"
    if in_use != unique:
        return f"names_in_use() differs from the robots' names ({len(in_use)} vs {len(unique)} names)"
    return True


def custom_alphabet_format(observed):
    if (why := _failed(observed) or _names(observed, "names")) is not None:
        return why
    bad = [n for n in observed if not XY79_NAME.fullmatch(n)]
    return True if not bad else f"names outside letters='XY', digits='79': {bad[:3]!r}"


def exhaustion_raises(observed):
    observed, why = _parts(observed, 2)
    if why is not None:
        return why
    names, last = observed
    if (why := _names(names, "names")) is not None:
        return why
    if len(set(names)) != 32:
        return f"32 robots got only {len(set(names))} distinct names"
    if not _raised(last, "RuntimeError", "no names left"):
        return f"create() with every name in use gave {last!r}, not RuntimeError('no names left')"[:300]
    return True


def reset_releases_old_name_for_reuse(observed):
    observed, why = _parts(observed, 5)
    if why is not None:
        return why
    in_use_before, old, new, in_use_after, newcomer = observed
    if (why := _is_set(in_use_before, "before reset") or _is_set(in_use_after, "after reset")
            or _not_str(old, new, newcomer)) is not None:
        return why
    free = NAMES_A01 - in_use_before
    if len(free) != 1:
        return f"7 robots of 8 possible names, but names_in_use() leaves {len(free)} names free"
    (free_name,) = free
    if new != free_name:
        return f"reset() gave {new!r}, not the only free name {free_name!r}"
    if old in in_use_after:
        return f"the old name {old!r} is still in use after reset()"
    if newcomer != old:
        return f"the next robot got {newcomer!r}, not the released name {old!r}"
    return True


def reset_never_returns_current_name(observed):
    steps, why = _parts(observed, 200)
    if why is not None:
        return why
    for i, step in enumerate(steps):
        step, why = _parts(step, 3)
        if why is not None:
            return f"reset {i}: {why}"
        before, after, in_use = step
        if (why := _not_str(before, after) or _is_set(in_use, f"reset {i}")) is not None:
            return why
        if after == before:
            return f"reset {i} kept the name {before!r}"
        if in_use != {after}:
            return f"after reset {i}, names_in_use() is {sorted(in_use)!r}, not {{{after!r}}}"
    return True
