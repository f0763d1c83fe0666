"""Run-length encoding."""


def encode(text: str) -> str:
    """Runs of the same character become <count><char> (count omitted when 1)."""
    if any(ch.isdigit() for ch in text):
        raise ValueError("cannot encode digits")
    out: list[str] = []
    i = 0
    while i < len(text):
        j = i
        while j < len(text) and text[j] == text[i]:
            j += 1
        run = j - i
        out.append((str(run) if run > 1 else "") + text[i])
        i = j
    return "".join(out)


def decode(data: str) -> str:
    """Inverse of encode."""
    out: list[str] = []
    i = 0
    while i < len(data):
        start = i
        while i < len(data) and data[i].isdigit():
            i += 1
        count_text = data[start:i]
        if count_text and (count_text[0] == "0" or i == len(data)):
            raise ValueError(f"malformed data at position {start}")
        out.append(data[i] * (int(count_text) if count_text else 1))
        i += 1
    return "".join(out)
