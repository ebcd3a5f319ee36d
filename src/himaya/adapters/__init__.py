"""L3: adapters to the outside world: table files now; bank files, notifications later."""
