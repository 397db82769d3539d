"""Jon, network: VPN, DNS, DHCP, Wi-Fi, switch ports, proxy, firewall, latency, shares, remote desktop."""

from nodes.specialists.shape import build_specialist
from tools.knowledge import load_knowledge

graph = build_specialist("Jon", "network", load_knowledge("network"))
