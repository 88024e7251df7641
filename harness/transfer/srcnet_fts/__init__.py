"""A transfer service answering the part of FTS3's REST API that Rucio's fts3 transfertool uses,
moving each file as an HTTP third-party copy with gfal2 (see ../README.md)."""
