def clamp(x, lo, hi):
    # FIXME(ana): lo > hi is not rejected
    return max(lo, min(hi, x))
