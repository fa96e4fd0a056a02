"""End-to-end helpers: real git repositories, local HTTP servers and real pip in fresh venvs.

Nothing here reaches the network except the wheelhouse download (`pipenv.download_wheelhouse`), which
uses this machine's normal pip configuration once per session.
"""
