"""The work beside generating: ``check_compat``, ``asyncapi``, ``push_schemas``, the revision
``lock`` file (and forgetting revisions) and the run ``cache``.

``pubsub_gen.cli`` parses each command's options and calls into these modules. Nothing is
imported here: the run's no-op check reads ``cache`` and must stay cheap.
"""
