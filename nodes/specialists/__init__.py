"""The three specialist subgraphs, built from one shape (`shape.build_specialist`) with their own knowledge."""

from nodes.specialists.jon import graph as jon
from nodes.specialists.june import graph as june
from nodes.specialists.maya import graph as maya

__all__ = ["jon", "june", "maya"]
