"""nameko's @http with JSON errors and a sane X-Request-Id on every response.

nameko's WebServer answers unknown routes, wrong methods and crashed handlers with werkzeug's
HTML or plain text; this server answers them with the gateway's JSON error body instead. It is a
separate SharedExtension class, so every gateway route must use ``api`` (not plain ``@http``),
or two servers would try to bind the same port.
"""
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.wrappers import Request

from hgrip_kernel.context import sane_request_id
from hgrip_kernel.logging import get_logger

from .responses import REQUEST_ID_HEADER, error_response

REQUEST_ID_ENVIRON = "HTTP_X_REQUEST_ID"

log = get_logger(__name__)


class GatewayWsgiApp(WsgiApp):
    def __call__(self, environ, start_response):
        # Replace the caller's id by a sane one before anything reads it: the RequestContext
        # dependency then takes this value as the correlation id of the whole request.
        request_id = sane_request_id(environ.get(REQUEST_ID_ENVIRON))
        environ[REQUEST_ID_ENVIRON] = request_id
        try:
            response = self._dispatch(environ)
        except Exception as exc:  # routing failed (404/405) or the server itself broke
            response, unexpected = error_response(exc)
            if unexpected:
                log.exception("http.unhandled", correlation_id=request_id, path=environ.get("PATH_INFO"))
        if REQUEST_ID_HEADER not in response.headers:
            response.headers[REQUEST_ID_HEADER] = request_id
        return response(environ, start_response)

    def _dispatch(self, environ):
        request = Request(environ, shallow=True)
        provider, values = self.url_map.bind_to_environ(environ).match()
        request.path_values = values
        return provider.handle_request(request)


class GatewayWebServer(WebServer):
    def get_wsgi_app(self):
        return GatewayWsgiApp(self)


class GatewayHttpHandler(HttpRequestHandler):
    server = GatewayWebServer()

    def response_from_exception(self, exc):
        # Only reached if a handler escaped the route wrapper (or its signature did not match).
        response, unexpected = error_response(exc)
        if unexpected:
            log.error("http.handler_failed", error=type(exc).__name__, exc_info=exc)
        return response


api = GatewayHttpHandler.decorator
