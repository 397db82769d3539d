"""Maya, hardware: laptops, batteries, displays, docks, printers, peripherals, disks, overheating."""

from nodes.specialists.shape import build_specialist
from tools.knowledge import load_knowledge

graph = build_specialist("Maya", "hardware", load_knowledge("hardware"))
