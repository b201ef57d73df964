"""The benchmark harness: `make bench` (`python -m bench`), loopback only.

Runs the simulator and the gateway as their own processes, drives them with
wrk (or, without wrk, a small asyncio load generator), and prints one table.
"""
