"""HTTP handlers, one module per resource: each turns a Request into an Answer."""
