"""HTTP routers, one module per room; ``firstlight.api.app.ROUTERS`` lists them."""
