"""Schemas of the requests the service accepts (see formkit/validate.py for the rules)."""

USER_SCHEMA = {
    "type": "object",
    "required": ["name", "age", "email"],
    "additional": False,
    "properties": {
        "name": {"type": "str", "min_len": 1, "max_len": 40},
        "age": {"type": "int", "min": 0, "max": 150},
        "email": {"type": "str", "min_len": 3},
        "score": {"type": "float", "min": 0.0, "max": 1.0},
        "admin": {"type": "bool"},
        "tags": {"type": "list", "items": {"type": "str", "min_len": 1}, "max_items": 3},
        "address": {
            "type": "object",
            "required": ["city"],
            "properties": {
                "city": {"type": "str", "min_len": 1},
                "zip": {"type": "str", "min_len": 5, "max_len": 5},
            },
        },
    },
}
