"""Atlassian Document Format (ADF): plain text in, a valid `doc` out; text back out of any `doc`.

The Jira OpenAPI document leaves `Comment.body` unspecified (ADF is described in prose), so the
structure rules we rely on are checked here: a `doc` of version 1 whose content is block nodes, text
nodes carrying non-empty `text`. The marker goes into its own paragraph so it stays one text node.
"""

from __future__ import annotations

from typing import Any

_BLOCKS = {"paragraph", "heading", "bulletList", "orderedList", "listItem", "codeBlock", "blockquote", "rule"}
_INLINE = {"text", "hardBreak", "mention", "emoji", "inlineCard"}


def text_to_adf(text: str) -> dict[str, Any]:
    """Paragraphs from blank-line-separated blocks; single newlines become hard breaks."""
    content: list[dict[str, Any]] = []
    for block in (b for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()):
        inline: list[dict[str, Any]] = []
        for i, line in enumerate(block.split("\n")):
            if i:
                inline.append({"type": "hardBreak"})
            if line:
                inline.append({"type": "text", "text": line})
        content.append({"type": "paragraph", "content": inline})
    return {"type": "doc", "version": 1, "content": content}


def adf_to_text(node: Any) -> str:
    """All text of a document, paragraphs separated by blank lines (tolerates unknown nodes)."""
    if not isinstance(node, dict):
        return node if isinstance(node, str) else ""
    kind = node.get("type")
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    parts = [adf_to_text(child) for child in node.get("content") or []]
    return ("\n\n" if kind in {"doc", "bulletList", "orderedList"} else "").join(parts)


def adf_problems(doc: Any) -> list[str]:
    """Why `doc` is not a well-formed ADF document (empty when it is)."""
    if not isinstance(doc, dict) or doc.get("type") != "doc":
        return ["body: must be an ADF document ({'type': 'doc', ...})"]
    problems = []
    if doc.get("version") != 1:
        problems.append("body.version: must be 1")
    content = doc.get("content")
    if not isinstance(content, list):
        return [*problems, "body.content: must be a list of block nodes"]
    problems += _check_nodes(content, "body.content", block=True)
    return problems


def _check_nodes(nodes: list[Any], where: str, *, block: bool) -> list[str]:
    problems = []
    for i, node in enumerate(nodes):
        at = f"{where}[{i}]"
        kind = node.get("type") if isinstance(node, dict) else None
        allowed = _BLOCKS if block else _INLINE
        if kind not in allowed:
            problems.append(f"{at}.type: {kind!r} is not a {'block' if block else 'inline'} node")
            continue
        if kind == "text" and (not isinstance(node.get("text"), str) or not node["text"]):
            problems.append(f"{at}.text: a text node needs non-empty text")
        children = node.get("content")
        if children is not None:
            if not isinstance(children, list):
                problems.append(f"{at}.content: must be a list")
            else:
                inline_children = kind in {"paragraph", "heading", "codeBlock"}
                problems += _check_nodes(children, f"{at}.content", block=not inline_children)
    return problems
