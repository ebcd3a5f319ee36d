"""DCI CRVS, the client side: Himaya subscribes to a civil registry's vital events and takes its
notify messages into the life-events inbox."""
