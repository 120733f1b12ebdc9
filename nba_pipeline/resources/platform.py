"""Platform-wide switches that are configuration, not data."""

import dagster as dg


class PlatformResource(dg.ConfigurableResource):
    """`halt`: a manual halt's reason (NBA_PIPELINE_HALT); while set, every exported file carries
    halt_active=true and empty arrays."""

    halt: str = ""
