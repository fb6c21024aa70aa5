"""Two coroutines on one thread: each `await` lets the other one run."""

import asyncio


async def fetch(name: str, seconds: float) -> None:
    print(f"{name}: asked")
    await asyncio.sleep(seconds)  # waiting for "the network": the loop runs something else
    print(f"{name}: answered after {seconds} s")


async def main() -> None:
    await asyncio.gather(fetch("inventory", 0.2), fetch("prices", 0.1))


if __name__ == "__main__":
    asyncio.run(main())
