"""Fake vendor servers for offline tests: in-process (httpx.MockTransport) and loopback."""
