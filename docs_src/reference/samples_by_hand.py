def sample_codes() -> dict[str, str]:
    return {"code": "ab12"}
