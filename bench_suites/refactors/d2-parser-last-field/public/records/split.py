from __future__ import annotations


def split_line(line: str, sep: str = ",") -> list[str]:
    """Split one line into fields.

    Fields may be wrapped in double quotes; inside quotes the separator is literal and a doubled quote
    ("") stands for one quote character.
    """
    fields: list[str] = []
    buf = ""
    in_quotes = False
    i = 0
    while i < len(line):
        ch = line[i]
        if in_quotes:
            if ch == '"':
                if i + 1 < len(line) and line[i + 1] == '"':
                    buf += '"'
                    i += 1
                else:
                    in_quotes = False
            else:
                buf += ch
        elif ch == '"':
            in_quotes = True
        elif ch == sep:
            fields.append(buf)
            buf = ""
        else:
            buf += ch
        i += 1
    if buf:
        fields.append(buf)
    return fields
