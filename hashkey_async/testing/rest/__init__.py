"""REST side of the offline exchange: the request pipeline (``api.py``) in front of one
section per resource, mirroring ``hashkey_async.rest`` (``market``, ``spot``, ``account``,
``subaccount``, ``wallet``, ``user_stream``), each keyed by rows of ``rest.endpoints``."""
