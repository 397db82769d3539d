"""Wire the helpdesk graph: nodes, subgraphs and the deterministic routing functions between them."""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer

from graph.context import Context
from graph.state import HelpdeskInput, HelpdeskState
from nodes.coordinator import coordinator, route_from_coordinator
from nodes.finalize import finalize
from nodes.human_escalation import human_escalation
from nodes.intake import intake, route_after_intake
from nodes.specialists import jon, june, maya
from nodes.uncertainty import route_from_uncertainty, uncertainty
from nodes.writeback import (
    freshservice_writeback,
    jira_writeback,
    plan_writeback,
    route_to_itsm,
    servicenow_writeback,
)


def build_graph(checkpointer: Checkpointer = None) -> CompiledStateGraph:
    """Compile the helpdesk graph; pass a checkpointer to let escalations pause for review."""
    builder = StateGraph(HelpdeskState, context_schema=Context, input_schema=HelpdeskInput)
    builder.add_node("intake", intake)
    builder.add_node("coordinator", coordinator)
    builder.add_node("jon", jon)
    builder.add_node("june", june)
    builder.add_node("maya", maya)
    builder.add_node("uncertainty", uncertainty)
    builder.add_node("human_escalation", human_escalation)
    builder.add_node("plan_writeback", plan_writeback)
    builder.add_node("servicenow_writeback", servicenow_writeback)
    builder.add_node("jira_writeback", jira_writeback)
    builder.add_node("freshservice_writeback", freshservice_writeback)
    builder.add_node("finalize", finalize)

    builder.add_edge(START, "intake")
    builder.add_conditional_edges("intake", route_after_intake)
    builder.add_conditional_edges("coordinator", route_from_coordinator)
    for specialist in ("jon", "june", "maya"):
        builder.add_edge(specialist, "uncertainty")
    builder.add_conditional_edges("uncertainty", route_from_uncertainty)
    builder.add_conditional_edges("plan_writeback", route_to_itsm)
    for node in ("servicenow_writeback", "jira_writeback", "freshservice_writeback"):
        builder.add_edge(node, "finalize")
    builder.add_edge("finalize", END)
    return builder.compile(checkpointer=checkpointer, name="helpdesk")
