"""Test and demo helpers of the reports room: a local NCMEC ISPWS server (never used in production)."""

from firstlight.reports.testing.ncmec_server import NcmecServer, ServerFile, ServerReport

__all__ = ["NcmecServer", "ServerFile", "ServerReport"]
