"""Checks for pig-latin, run by the cases scorer: each case returns the translations it observed; the
``expect=`` literals are stripped before this file enters the sandbox and compared outside it."""

from hybrid_cases import case
from pig_latin import translate

# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(expect="appleay")
def visible_vowel_start():
    return translate("apple")


@case(expect="airchay")
def visible_consonant_cluster():
    return translate("chair")


@case(expect="ickquay astfay unray")
def visible_sentence():
    return translate("quick fast run")


# -- hidden --------------------------------------------------------------------------------------------


@case(expect=["earay", "underay", "xrayay", "yttriaay", "igpay", "eethray", "oolschay", "eenquay", "aresquay",
              "ealsquay", "ythmrhay", "ymay", "ellowyay", "enonxay", "atqay", "nthay"])
def words():
    """The old parametrized test: one translation per word, in this order."""
    return [translate(word) for word in ("ear", "under", "xray", "yttria", "pig", "three", "school", "queen",
                                         "square", "squeal", "rhythm", "my", "yellow", "xenon", "qat", "nth")]


@case(expect="ethay ickquay irrelsquay")
def whitespace_normalised():
    return translate("  the   quick\tsquirrel ")


@case(expect="")
def empty():
    return translate("")
