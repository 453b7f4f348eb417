/// The one error type of ``HTTPServer`` handlers and of the request body and response writer they use.

/// Why a handler, a body read or a body write did not complete, and so what the server does about it.
///
/// - ``status(_:)``: a handler's refusal; the server answers with that status and a short `text/plain` body, and
///   the connection stays usable.
/// - ``request(_:)``: the request itself was bad (a malformed chunk, a body over the limit, a body shorter than its
///   `Content-Length`, the body not arriving in time); the server answers with the error's status and closes.
/// - ``transport(_:)``: the connection failed or a write missed its deadline; the server aborts it, no answer.
public enum HTTPError: Error, Equatable, CustomStringConvertible {
    case status(HTTPStatus)
    case request(HTTPRequestError)
    case transport(TCPError)

    /// The status the client is sent; none for a transport failure.
    public var responseStatus: HTTPStatus? {
        switch self {
        case .status(let status): status
        case .request(let error): error.status
        case .transport: nil
        }
    }

    public var description: String {
        switch self {
        case .status(let status): status.description
        case .request(let error): "request: \(error)"
        case .transport(let error): "transport: \(error)"
        }
    }
}
