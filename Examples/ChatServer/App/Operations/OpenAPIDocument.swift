import Foundation

/// The OpenAPI 3.1 description of the HTTP API, served at `/openapi.json`: the resource file
/// `openapi.json` beside this one, read once.
///
/// Written by hand (not derived from the router), so the tests that compare it with the
/// registered routes (`OpenAPITests`), the validation rules (`OpenAPIConstraintTests`) and the
/// statuses the handlers answer can catch a route added, removed or changed on one side only.
enum OpenAPIDocument {
    /// The document's text; `nil` only when the resource is missing (a broken installation:
    /// the route then answers 500 `internal`).
    static let json: String? = Bundle.module.url(forResource: "openapi", withExtension: "json")
        .flatMap { try? String(contentsOf: $0, encoding: .utf8) }
}
