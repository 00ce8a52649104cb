// The transport ports speak in protocol v1's frames and close codes (`TransportFrame`,
// `CloseCode`, `TransportClose`), which live in `MessagingWire`: importing the ports
// brings them along.
@_exported import MessagingWire
