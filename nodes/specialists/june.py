"""June, software and cloud: Microsoft 365, SSO and MFA, SaaS, cloud permissions, updates, installs, browsers, CI/CD."""

from nodes.specialists.shape import build_specialist
from tools.knowledge import load_knowledge

graph = build_specialist("June", "software_cloud", load_knowledge("software_cloud"))
