// `OriginPolicy` moved to `MessagingTransport` (the Server-Sent Events adapter checks
// origins too); re-exported here so code that configures this adapter compiles unchanged.
@_exported import struct MessagingTransport.OriginPolicy
