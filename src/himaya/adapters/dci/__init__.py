"""The DCI (Digital Convergence Initiative) social registry protocol: envelope models (`envelope`),
a DCI query translated to the registry's neutral filter (`query`), a person rendered as an
SR_Person (`render`), and the exchange's use cases (`actions`) on the store's port (`ports`)."""
