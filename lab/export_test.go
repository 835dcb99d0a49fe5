package lab

// ConfigureWireGuard lets the external tests configure WireGuard devices of
// their own namespaces.
var ConfigureWireGuard = configureWireGuard
