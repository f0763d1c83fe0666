def load(path):
    # TODO: stream instead of reading everything
    with open(path) as fh:
        return fh.read()


def save(path, data):  # FIXME: not atomic
    # TODO handle permissions  TODO and encoding
    with open(path, "w") as fh:
        fh.write(data)
