"""The console on, at /console/, behind the auth hook that guards the app's own routes."""

import os

from fastapi import Depends, Header, HTTPException

from pubsub_runtime import FastPubSub, PubSubBroker


async def operators_only(authorization: str = Header(default="")) -> None:
    if authorization != f"Bearer {os.environ.get('OPS_TOKEN', 'dev-token')}":
        raise HTTPException(status_code=401, detail="operators only")


broker = PubSubBroker(project_id="local-project")
app = FastPubSub(
    broker,
    console=True,  # None (the default): on only when PUBSUB_CONSOLE=1
    console_path="/console",
    console_dependencies=[Depends(operators_only)],  # app-wide dependencies apply too
)


@app.get("/orders/{order_id}", dependencies=[Depends(operators_only)])
async def get_order(order_id: str) -> dict[str, str]:
    return {"order_id": order_id}
