"""Label Studio both ways: labeling config, tasks, push, pull, export conversion and a local server."""
