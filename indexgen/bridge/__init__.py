"""`indexgen bridge`: a loopback PEP 503 index of deterministic sdists made from the commit links of a
static indexgen index, for installers that cannot use VCS links (uv, Poetry) and for pip's hash-checking.

The pipeline, one module each:
- `links`: the upstream pages, parsed, checked against the fetch policy and rewritten (pure);
- `sdist`: what goes into a release's archive, or why it is refused (pure);
- `archive`: the tar and gzip bytes of the recipe (pure, golden-tested);
- `fetch`: one commit fetched with the user's own git into the cache (the only code that runs git);
- `service`: what a request gets, from the parts above (no HTTP);
- `server`: the thin HTTP layer on loopback;
- `command`: the `indexgen bridge` command.
"""
