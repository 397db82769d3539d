"""The compiled graph that `langgraph.json` serves as `helpdesk` (the server supplies persistence)."""

from graph.builder import build_graph

graph = build_graph()
