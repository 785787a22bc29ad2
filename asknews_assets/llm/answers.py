"""What makes a chat answer unusable whatever was asked: shared by the prompts' own checks."""

import re

_REFUSAL = re.compile(r"^\s*(?:i'?m sorry|i am sorry|i can(?:no|')t|as an ai\b|i am unable|i'm unable)", re.IGNORECASE)


def looks_like_refusal(answer: str) -> bool:
    """The model declined ("I'm sorry, ...", "As an AI ...") instead of answering."""
    return bool(_REFUSAL.match(answer))
