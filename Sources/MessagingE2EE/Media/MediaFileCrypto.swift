import Foundation

extension MediaEncryptor {
    /// Encrypts everything `input` yields into `output`, one chunk at a time, and returns the
    /// reference; memory use is about two chunks whatever the file size.
    ///
    /// Throws ``E2EEError/Code/io`` (with the file error as ``E2EEError/cause``) when reading or
    /// writing fails.
    ///
    /// Thread safety: safe from any thread, provided no one else uses the two handles meanwhile.
    public static func encrypt(
        reading input: FileHandle, writing output: FileHandle, contentType: String = "",
        chunkSize: Int = MediaEncryptor.defaultChunkSize
    ) throws -> MediaReference {
        let encryptor = try MediaEncryptor(chunkSize: chunkSize)
        while let piece = try readIO(input, upTo: chunkSize), !piece.isEmpty {
            try writeIO(output, encryptor.encrypt(piece))
        }
        let (tail, reference) = try encryptor.finish(contentType: contentType)
        try writeIO(output, tail)
        return reference
    }
}

extension MediaDecryptor {
    /// Decrypts the stream `input` yields into `output`, one chunk at a time.
    ///
    /// On any thrown error the output file holds a partial, unusable result: delete it.
    ///
    /// Thread safety: safe from any thread, provided no one else uses the two handles meanwhile.
    public static func decrypt(reading input: FileHandle, writing output: FileHandle, reference: MediaReference) throws {
        let decryptor = try MediaDecryptor(reference: reference)
        let readSize = reference.chunkSize + SecretStream.overhead
        while let piece = try readIO(input, upTo: readSize), !piece.isEmpty {
            try writeIO(output, decryptor.decrypt(piece))
        }
        try decryptor.finish()
    }
}

private func readIO(_ handle: FileHandle, upTo count: Int) throws -> Data? {
    do {
        return try handle.read(upToCount: count)
    } catch {
        throw E2EEError(code: .io, message: "reading the input file handle failed", cause: error)
    }
}

private func writeIO(_ handle: FileHandle, _ bytes: [UInt8]) throws {
    guard !bytes.isEmpty else { return }
    do {
        try handle.write(contentsOf: bytes)
    } catch {
        throw E2EEError(code: .io, message: "writing the output file handle failed", cause: error)
    }
}
