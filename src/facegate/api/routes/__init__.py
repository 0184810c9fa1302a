"""The API's endpoints, one module per family: deployments, documents, subjects, biometrics, audit, keys, me."""
