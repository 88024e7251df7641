"""The testbed's load engine on Locust: a master and workers driven by the campaign plan the
harness writes (harness/campaigns/load-plan.ts), with SRCNet's own client libraries."""
