"""The LangGraph server glue: custom auth, inbound ITSM webhooks, health and the human-review API.

`langgraph.json` points the server at `graph/server/auth.py:auth` (`auth.path`) and
`graph/server/app.py:app` (`http.app`); `helpdesk serve` starts that server offline.
"""
