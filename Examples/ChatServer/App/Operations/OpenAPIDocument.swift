/// The OpenAPI 3.1 description of the HTTP API, served at `/openapi.json`.
///
/// Written by hand (not derived from the router), so the test that compares it with the
/// registered routes can catch a route added, removed or renamed on one side only.
enum OpenAPIDocument {
    static let json = #"""
{
 "openapi": "3.1.0",
 "info": {
  "title": "swift-messaging ChatServer HTTP API",
  "version": "1.0.0",
  "description": "The HTTP API of the ChatServer example. Bodies are JSON with camelCase keys; unknown fields are rejected; no request field is nullable: null is refused (400 invalid_input), leave an optional field out instead; ids are UUIDv7 strings (RFC 9562 version 7); times are integer milliseconds since 1970. Every error is {\"error\":{\"code\",\"message\"}}. Any route asked with a method it does not declare answers 405 method_not_allowed with an Allow header; a request head that does not arrive within the header timeout answers 408 request_timeout, a request line over 8 KiB 414 request_line_too_long, a head over 32 KiB 431 headers_too_large (each then closes the connection). Realtime delivery is the WebSocket protocol at /v1/realtime (Documentation/Protocol.md)."
 },
 "servers": [
  {
   "url": "http://127.0.0.1:8080"
  }
 ],
 "paths": {
  "/v1/auth/register": {
   "post": {
    "operationId": "register",
    "summary": "Register an account",
    "responses": {
     "201": {
      "description": "the new user",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "user": {
           "$ref": "#/components/schemas/User"
          }
         },
         "additionalProperties": false,
         "required": [
          "user"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "handle": {
          "type": "string",
          "pattern": "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]{0,37}[A-Za-z0-9][A-Za-z0-9._-]{2,31}[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]{0,37}$",
          "description": "3-32 of a-z 0-9 . _ - (not starting with . _ -); ASCII capitals are accepted and lowercased, and white space around the handle is trimmed (the pattern allows up to 37 white-space characters on each side; the server accepts up to 256 bytes in all)"
         },
         "password": {
          "type": "string",
          "description": "at least 10 characters"
         },
         "displayName": {
          "type": "string",
          "pattern": "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]{0,100}[^\\u0000-\\u001f\\u007f-\\u009f \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000](?:[^\\u0000-\\u001f\\u007f-\\u009f]{0,62}[^\\u0000-\\u001f\\u007f-\\u009f \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000])?[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]{0,100}$",
          "description": "the name shown to others; one line: 1-64 characters after trimming surrounding white space, no control characters (Unicode Cc). The pattern counts code points; the server counts grapheme clusters (user-perceived characters), so it also accepts some longer strings of combining sequences and allows up to 1,024 bytes of white space in all; defaults to the handle"
         }
        },
        "additionalProperties": false,
        "required": [
         "handle",
         "password"
        ]
       }
      }
     }
    },
    "security": [],
    "tags": [
     "auth"
    ]
   }
  },
  "/v1/auth/login": {
   "post": {
    "operationId": "login",
    "summary": "Log in: tokens, session and device; sets the refresh cookie",
    "responses": {
     "200": {
      "description": "tokens",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Tokens"
        }
       }
      },
      "headers": {
       "Set-Cookie": {
        "description": "the HttpOnly, Secure, SameSite=Strict refresh cookie (Path=/v1/auth)",
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "handle": {
          "type": "string",
          "pattern": "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]{0,37}[A-Za-z0-9][A-Za-z0-9._-]{2,31}[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]{0,37}$",
          "description": "3-32 of a-z 0-9 . _ - (not starting with . _ -); ASCII capitals are accepted and lowercased, and white space around the handle is trimmed (the pattern allows up to 37 white-space characters on each side; the server accepts up to 256 bytes in all); a handle that breaks these rules is answered 401 invalid_credentials, like a wrong password"
         },
         "password": {
          "type": "string"
         },
         "deviceName": {
          "type": "string",
          "pattern": "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]{0,100}[^\\u0000-\\u001f\\u007f-\\u009f \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000](?:[^\\u0000-\\u001f\\u007f-\\u009f]{0,62}[^\\u0000-\\u001f\\u007f-\\u009f \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000])?[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]{0,100}$",
          "description": "the name shown in the session list; one line: 1-64 characters after trimming surrounding white space, no control characters (Unicode Cc). The pattern counts code points; the server counts grapheme clusters (user-perceived characters), so it also accepts some longer strings of combining sequences and allows up to 1,024 bytes of white space in all; defaults to \"unnamed device\""
         }
        },
        "additionalProperties": false,
        "required": [
         "handle",
         "password"
        ]
       }
      }
     }
    },
    "security": [],
    "tags": [
     "auth"
    ]
   }
  },
  "/v1/auth/refresh": {
   "post": {
    "operationId": "refresh",
    "summary": "Rotate the refresh token (from the body or the refresh cookie)",
    "responses": {
     "200": {
      "description": "new tokens",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Tokens"
        }
       }
      },
      "headers": {
       "Set-Cookie": {
        "description": "the HttpOnly, Secure, SameSite=Strict refresh cookie (Path=/v1/auth)",
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "refreshToken": {
          "type": "string"
         }
        },
        "additionalProperties": false
       }
      }
     }
    },
    "security": [],
    "tags": [
     "auth"
    ]
   }
  },
  "/v1/auth/logout": {
   "post": {
    "operationId": "logout",
    "summary": "End the current session (and the one of the refresh token given, in the body or the cookie)",
    "responses": {
     "204": {
      "description": "logged out; the refresh cookie is cleared",
      "headers": {
       "Set-Cookie": {
        "description": "the HttpOnly, Secure, SameSite=Strict refresh cookie (Path=/v1/auth)",
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "refreshToken": {
          "type": "string"
         }
        },
        "additionalProperties": false
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "auth"
    ]
   }
  },
  "/v1/sessions": {
   "get": {
    "operationId": "listSessions",
    "summary": "The caller's open sessions",
    "responses": {
     "200": {
      "description": "sessions",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "sessions": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Session"
           }
          }
         },
         "additionalProperties": false,
         "required": [
          "sessions"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "auth"
    ]
   }
  },
  "/v1/sessions/{sessionId}": {
   "delete": {
    "operationId": "revokeSession",
    "summary": "Revoke one of the caller's sessions",
    "responses": {
     "204": {
      "description": "revoked"
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/SessionId"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "auth"
    ]
   }
  },
  "/v1/admin/accounts/{userId}": {
   "get": {
    "operationId": "getAccount",
    "summary": "An account with its server roles and disabled state (server admin, or the account itself)",
    "responses": {
     "200": {
      "description": "the account",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "account": {
           "$ref": "#/components/schemas/Account"
          }
         },
         "additionalProperties": false,
         "required": [
          "account"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/UserId"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "admin"
    ]
   },
   "delete": {
    "operationId": "deleteAccount",
    "summary": "Delete another account and its data (server admin; see ChatServer.md, Deleting an account)",
    "responses": {
     "204": {
      "description": "deleted"
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/UserId"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "admin"
    ]
   }
  },
  "/v1/admin/accounts/{userId}/disable": {
   "post": {
    "operationId": "disableAccount",
    "summary": "Disable an account and revoke its sessions at once (server admin; not your own)",
    "responses": {
     "200": {
      "description": "the account",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "account": {
           "$ref": "#/components/schemas/Account"
          }
         },
         "additionalProperties": false,
         "required": [
          "account"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/UserId"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "admin"
    ]
   }
  },
  "/v1/admin/accounts/{userId}/enable": {
   "post": {
    "operationId": "enableAccount",
    "summary": "Enable a disabled account (server admin)",
    "responses": {
     "200": {
      "description": "the account",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "account": {
           "$ref": "#/components/schemas/Account"
          }
         },
         "additionalProperties": false,
         "required": [
          "account"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/UserId"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "admin"
    ]
   }
  },
  "/v1/admin/accounts/{userId}/roles": {
   "put": {
    "operationId": "setAccountRoles",
    "summary": "Replace an account's server roles (server admin; tokens carry them from the next refresh)",
    "responses": {
     "200": {
      "description": "the account",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "account": {
           "$ref": "#/components/schemas/Account"
          }
         },
         "additionalProperties": false,
         "required": [
          "account"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/UserId"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "roles": {
          "type": "array",
          "maxItems": 16,
          "items": {
           "type": "string",
           "pattern": "^[a-z][a-z0-9._-]{0,31}$"
          }
         }
        },
        "additionalProperties": false,
        "required": [
         "roles"
        ]
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "admin"
    ]
   }
  },
  "/v1/admin/accounts/{userId}/password": {
   "post": {
    "operationId": "resetAccountPassword",
    "summary": "Set a new password on another account and revoke its sessions (server admin)",
    "responses": {
     "204": {
      "description": "reset"
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/UserId"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "password": {
          "type": "string",
          "description": "at least 10 characters"
         }
        },
        "additionalProperties": false,
        "required": [
         "password"
        ]
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "admin"
    ]
   }
  },
  "/v1/account/password": {
   "post": {
    "operationId": "changePassword",
    "summary": "Change your own password; every session of yours is revoked (log in again)",
    "responses": {
     "204": {
      "description": "changed"
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "currentPassword": {
          "type": "string"
         },
         "newPassword": {
          "type": "string",
          "description": "at least 10 characters"
         }
        },
        "additionalProperties": false,
        "required": [
         "currentPassword",
         "newPassword"
        ]
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "auth"
    ]
   }
  },
  "/v1/account/delete": {
   "post": {
    "operationId": "deleteOwnAccount",
    "summary": "Delete your own account and its data, confirmed with your password (see ChatServer.md, Deleting an account)",
    "responses": {
     "204": {
      "description": "deleted; the refresh cookie is cleared"
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "password": {
          "type": "string"
         }
        },
        "additionalProperties": false,
        "required": [
         "password"
        ]
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "auth"
    ]
   }
  },
  "/v1/conversations/{id}/retention": {
   "get": {
    "operationId": "getRetention",
    "summary": "The conversation's retention policy (absent: messages are kept forever)",
    "responses": {
     "200": {
      "description": "the policy, if any",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "retention": {
           "$ref": "#/components/schemas/Retention"
          }
         },
         "additionalProperties": false,
         "required": []
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "conversations"
    ]
   },
   "put": {
    "operationId": "setRetention",
    "summary": "Delete messages older than retentionDays days (owners and admins; either member of a direct conversation)",
    "responses": {
     "200": {
      "description": "the policy",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "retention": {
           "$ref": "#/components/schemas/Retention"
          }
         },
         "additionalProperties": false,
         "required": [
          "retention"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "retentionDays": {
          "type": "integer",
          "minimum": 1,
          "maximum": 36500
         }
        },
        "additionalProperties": false,
        "required": [
         "retentionDays"
        ]
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "conversations"
    ]
   },
   "delete": {
    "operationId": "removeRetention",
    "summary": "Keep messages forever again (owners and admins; either member of a direct conversation)",
    "responses": {
     "204": {
      "description": "removed"
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "conversations"
    ]
   }
  },
  "/v1/users/{handle}": {
   "get": {
    "operationId": "userByHandle",
    "summary": "Look a user up by handle (to invite them) or by user id (to show a sender's handle)",
    "responses": {
     "200": {
      "description": "the user",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "user": {
           "$ref": "#/components/schemas/User"
          }
         },
         "additionalProperties": false,
         "required": [
          "user"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/Handle"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "users"
    ]
   }
  },
  "/v1/conversations": {
   "post": {
    "operationId": "createConversation",
    "summary": "Create a direct conversation, group or channel, optionally end-to-end encrypted",
    "responses": {
     "201": {
      "description": "the conversation (an existing direct conversation with that user is returned as is)",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "conversation": {
           "$ref": "#/components/schemas/Conversation"
          }
         },
         "additionalProperties": false,
         "required": [
          "conversation"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "kind": {
          "type": "string",
          "enum": [
           "direct",
           "group",
           "channel"
          ],
          "description": "channel: only owners and admins post (the creator is the owner); a channel needs a title"
         },
         "title": {
          "type": "string",
          "pattern": "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]{0,100}(?:[^\\u0000-\\u001f\\u007f-\\u009f \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000](?:[^\\u0000-\\u001f\\u007f-\\u009f]{0,126}[^\\u0000-\\u001f\\u007f-\\u009f \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000])?)?[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]{0,100}$",
          "description": "groups and channels (required for a channel); one line: at most 128 characters after trimming surrounding white space (an empty string clears it), no control characters (Unicode Cc). The pattern counts code points, the server grapheme clusters, so it also accepts some longer strings of combining sequences"
         },
         "topic": {
          "type": "string",
          "pattern": "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]{0,100}(?:[^\\u0000-\\u001f\\u007f-\\u009f \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000](?:[^\\u0000-\\u001f\\u007f-\\u009f]{0,1022}[^\\u0000-\\u001f\\u007f-\\u009f \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000])?)?[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]{0,100}$",
          "description": "groups and channels; one line: at most 1024 characters after trimming surrounding white space (an empty string means no topic), no control characters (Unicode Cc). The pattern counts code points, the server grapheme clusters, so it also accepts some longer strings of combining sequences"
         },
         "members": {
          "type": "array",
          "items": {
           "type": "string",
           "format": "uuid",
           "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
           "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
          },
          "maxItems": 1000
         },
         "encrypted": {
          "type": "boolean",
          "default": false,
          "description": "end-to-end encrypted (Documentation/E2EE.md section 11); fixed at creation"
         }
        },
        "additionalProperties": false,
        "required": [
         "kind",
         "members"
        ]
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "conversations"
    ]
   },
   "get": {
    "operationId": "listConversations",
    "summary": "The caller's conversations, most recently active first",
    "responses": {
     "200": {
      "description": "a page",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "conversations": {
           "type": "array",
           "items": {
            "type": "object",
            "properties": {
             "conversation": {
              "$ref": "#/components/schemas/Conversation"
             },
             "role": {
              "type": "string"
             },
             "readSeq": {
              "type": "integer",
              "format": "int64"
             },
             "muted": {
              "type": "boolean",
              "description": "the caller's mute of the conversation is in force"
             },
             "mutedUntil": {
              "type": "integer",
              "format": "int64",
              "description": "when the caller's mute ends; absent without a mute or for a mute without end"
             }
            },
            "additionalProperties": false,
            "required": [
             "conversation",
             "role",
             "readSeq",
             "muted"
            ]
           }
          },
          "nextCursor": {
           "type": "string"
          }
         },
         "additionalProperties": false,
         "required": [
          "conversations"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 200,
       "default": 50
      },
      "description": "page size"
     },
     {
      "name": "cursor",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "pattern": "^[0-9]{1,18}\\.[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
      },
      "description": "nextCursor of the previous page, unchanged (<milliseconds>.<conversation id>: 1-18 digits, a dot, a UUIDv7)"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "conversations"
    ]
   }
  },
  "/v1/conversations/{id}": {
   "delete": {
    "operationId": "deleteConversation",
    "summary": "Delete a group or channel and its data (owners only; members get a conversation.deleted event; see ChatServer.md, Deleting a conversation)",
    "responses": {
     "204": {
      "description": "deleted"
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "conversations"
    ]
   },
   "get": {
    "operationId": "getConversation",
    "summary": "A conversation the caller is a member of",
    "responses": {
     "200": {
      "description": "the conversation",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "conversation": {
           "$ref": "#/components/schemas/Conversation"
          }
         },
         "additionalProperties": false,
         "required": [
          "conversation"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "conversations"
    ]
   },
   "patch": {
    "operationId": "updateConversation",
    "summary": "Change the title or topic (admins and owners)",
    "responses": {
     "200": {
      "description": "the conversation",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "conversation": {
           "$ref": "#/components/schemas/Conversation"
          }
         },
         "additionalProperties": false,
         "required": [
          "conversation"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "title": {
          "type": "string",
          "pattern": "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]{0,100}(?:[^\\u0000-\\u001f\\u007f-\\u009f \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000](?:[^\\u0000-\\u001f\\u007f-\\u009f]{0,126}[^\\u0000-\\u001f\\u007f-\\u009f \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000])?)?[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]{0,100}$",
          "description": "one line: at most 128 characters after trimming surrounding white space (an empty string clears it), no control characters (Unicode Cc). The pattern counts code points, the server grapheme clusters, so it also accepts some longer strings of combining sequences; a channel keeps a title"
         },
         "topic": {
          "type": "string",
          "pattern": "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]{0,100}(?:[^\\u0000-\\u001f\\u007f-\\u009f \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000](?:[^\\u0000-\\u001f\\u007f-\\u009f]{0,1022}[^\\u0000-\\u001f\\u007f-\\u009f \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000])?)?[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]{0,100}$",
          "description": "one line: at most 1024 characters after trimming surrounding white space (an empty string clears it), no control characters (Unicode Cc). The pattern counts code points, the server grapheme clusters, so it also accepts some longer strings of combining sequences"
         }
        },
        "additionalProperties": false
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "conversations"
    ]
   }
  },
  "/v1/conversations/{id}/members": {
   "get": {
    "operationId": "listMembers",
    "summary": "Members, by user id",
    "responses": {
     "200": {
      "description": "members",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "members": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Member"
           }
          }
         },
         "additionalProperties": false,
         "required": [
          "members"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     },
     {
      "name": "after",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "format": "uuid",
       "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
       "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
      },
      "description": "last user id of the previous page"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000,
       "default": 200
      },
      "description": "page size"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "members"
    ]
   },
   "post": {
    "operationId": "addMember",
    "summary": "Add a member (admins and owners; at most your own role)",
    "responses": {
     "201": {
      "description": "the membership (an existing member is returned unchanged)",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "member": {
           "$ref": "#/components/schemas/Member"
          }
         },
         "additionalProperties": false,
         "required": [
          "member"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "user": {
          "type": "string",
          "format": "uuid",
          "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
          "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
         },
         "role": {
          "type": "string",
          "enum": [
           "member",
           "admin",
           "owner"
          ]
         }
        },
        "additionalProperties": false,
        "required": [
         "user"
        ]
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "members"
    ]
   }
  },
  "/v1/conversations/{id}/members/{userId}": {
   "delete": {
    "operationId": "removeMember",
    "summary": "Remove a member you outrank (yourself: leave)",
    "responses": {
     "204": {
      "description": "removed"
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     },
     {
      "$ref": "#/components/parameters/UserId"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "members"
    ]
   }
  },
  "/v1/conversations/{id}/members/{userId}/role": {
   "put": {
    "operationId": "changeRole",
    "summary": "Change a member's role",
    "responses": {
     "200": {
      "description": "the membership",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "member": {
           "$ref": "#/components/schemas/Member"
          }
         },
         "additionalProperties": false,
         "required": [
          "member"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     },
     {
      "$ref": "#/components/parameters/UserId"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "role": {
          "type": "string",
          "enum": [
           "member",
           "admin",
           "owner"
          ]
         }
        },
        "additionalProperties": false,
        "required": [
         "role"
        ]
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "members"
    ]
   }
  },
  "/v1/conversations/{id}/leave": {
   "post": {
    "operationId": "leave",
    "summary": "Leave the conversation (the last owner hands over first)",
    "responses": {
     "204": {
      "description": "left"
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "members"
    ]
   }
  },
  "/v1/conversations/{id}/messages": {
   "get": {
    "operationId": "history",
    "summary": "A history page, newest first",
    "responses": {
     "200": {
      "description": "a page",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "messages": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Message"
           }
          },
          "hasMore": {
           "type": "boolean"
          },
          "nextCursor": {
           "type": "integer",
           "description": "pass as before= for the next page"
          }
         },
         "additionalProperties": false,
         "required": [
          "messages",
          "hasMore"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     },
     {
      "name": "before",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1
      },
      "description": "exclusive seq bound"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 200,
       "default": 50
      },
      "description": "page size"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "messages"
    ]
   },
   "post": {
    "operationId": "sendMessage",
    "summary": "Send a text message, or an end-to-end encrypted one, idempotently on clientMessageId",
    "responses": {
     "201": {
      "description": "sent",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "message": {
           "$ref": "#/components/schemas/Message"
          },
          "duplicate": {
           "const": false
          }
         },
         "additionalProperties": false,
         "required": [
          "message",
          "duplicate"
         ]
        }
       }
      }
     },
     "200": {
      "description": "a repeated send: the original message",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "message": {
           "$ref": "#/components/schemas/Message"
          },
          "duplicate": {
           "const": true
          }
         },
         "additionalProperties": false,
         "required": [
          "message",
          "duplicate"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "clientMessageId": {
          "type": "string",
          "description": "1-64 printable ASCII; reuse it for retries",
          "pattern": "^[!-~]{1,64}$"
         },
         "body": {
          "type": "string",
          "description": "1 byte to 16 KiB (16,384 bytes) of UTF-8 text, no control characters but newline and tab (400 invalid_input otherwise); not in encrypted conversations"
         },
         "ciphertext": {
          "type": "string",
          "contentEncoding": "base64",
          "description": "standard base64 of a sealed message (Documentation/E2EE.md section 6), 1 byte to 64 KiB (65,536 bytes) decoded (400 invalid_input otherwise); the only kind accepted in encrypted conversations"
         },
         "epoch": {
          "type": "integer",
          "format": "int64",
          "minimum": 1,
          "description": "the key epoch the sealed message names; required with ciphertext in an encrypted conversation"
         },
         "senderDevice": {
          "type": "string",
          "format": "uuid",
          "description": "the sending end-to-end device (the id in its bundle); required with ciphertext in an encrypted conversation; a UUIDv7 (RFC 9562 version 7), any letter case",
          "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
         },
         "mentions": {
          "type": "array",
          "items": {
           "type": "string",
           "format": "uuid",
           "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
           "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
          },
          "maxItems": 50
         },
         "replyTo": {
          "type": "string",
          "format": "uuid",
          "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
          "description": "the message this one replies to: in the same conversation and not deleted (deleted: 409 conflict; missing or elsewhere: 400 invalid_input); a UUIDv7 (RFC 9562 version 7), any letter case"
         },
         "threadRoot": {
          "type": "string",
          "format": "uuid",
          "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
          "description": "the root of the thread this message belongs to: in the same conversation, not deleted (409 conflict) and not itself a reply (400 invalid_input); a UUIDv7 (RFC 9562 version 7), any letter case"
         }
        },
        "additionalProperties": false,
        "required": [
         "clientMessageId"
        ],
        "oneOf": [
         {
          "required": [
           "body"
          ]
         },
         {
          "required": [
           "ciphertext"
          ]
         }
        ],
        "dependentRequired": {
         "epoch": [
          "senderDevice",
          "ciphertext"
         ],
         "senderDevice": [
          "epoch",
          "ciphertext"
         ]
        }
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "messages"
    ]
   }
  },
  "/v1/conversations/{id}/events": {
   "get": {
    "operationId": "events",
    "summary": "Events after a seq, ascending and gapless",
    "responses": {
     "200": {
      "description": "events",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "events": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Event"
           }
          },
          "nextAfter": {
           "type": "integer",
           "format": "int64"
          },
          "hasMore": {
           "type": "boolean"
          }
         },
         "additionalProperties": false,
         "required": [
          "events",
          "nextAfter",
          "hasMore"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     },
     {
      "name": "after",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 0,
       "default": 0
      },
      "description": "last seq seen, at most the conversation's last seq (beyond it: 400 invalid_input)"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500,
       "default": 200
      },
      "description": "page size"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "messages"
    ]
   }
  },
  "/v1/conversations/{id}/read": {
   "post": {
    "operationId": "markRead",
    "summary": "Move the caller's read position forward",
    "responses": {
     "200": {
      "description": "the resulting read position",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "readSeq": {
           "type": "integer",
           "format": "int64"
          }
         },
         "additionalProperties": false,
         "required": [
          "readSeq"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "seq": {
          "type": "integer",
          "format": "int64"
         }
        },
        "additionalProperties": false,
        "required": [
         "seq"
        ]
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "messages"
    ]
   }
  },
  "/v1/conversations/{id}/messages/{messageId}/reactions/{emoji}": {
   "put": {
    "operationId": "react",
    "summary": "Add a reaction (idempotent)",
    "responses": {
     "204": {
      "description": "done"
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     },
     {
      "$ref": "#/components/parameters/MessageId"
     },
     {
      "$ref": "#/components/parameters/Emoji"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "messages"
    ]
   },
   "delete": {
    "operationId": "unreact",
    "summary": "Remove the caller's reaction (idempotent)",
    "responses": {
     "204": {
      "description": "done"
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     },
     {
      "$ref": "#/components/parameters/MessageId"
     },
     {
      "$ref": "#/components/parameters/Emoji"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "messages"
    ]
   }
  },
  "/v1/conversations/{id}/messages/{messageId}": {
   "get": {
    "operationId": "readMessage",
    "summary": "One message with its reaction summaries and, for a thread root, its thread summary",
    "responses": {
     "200": {
      "description": "the message",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "message": {
           "$ref": "#/components/schemas/Message"
          }
         },
         "additionalProperties": false,
         "required": [
          "message"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     },
     {
      "$ref": "#/components/parameters/MessageId"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "messages"
    ]
   },
   "patch": {
    "operationId": "editMessage",
    "summary": "Edit your own text message",
    "responses": {
     "200": {
      "description": "the edited message",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "message": {
           "$ref": "#/components/schemas/Message"
          }
         },
         "additionalProperties": false,
         "required": [
          "message"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     },
     {
      "$ref": "#/components/parameters/MessageId"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "body": {
          "type": "string"
         }
        },
        "additionalProperties": false,
        "required": [
         "body"
        ]
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "messages"
    ]
   },
   "delete": {
    "operationId": "deleteMessage",
    "summary": "Delete a message (yours, or any as admin/owner)",
    "responses": {
     "200": {
      "description": "the tombstone",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "message": {
           "$ref": "#/components/schemas/Message"
          }
         },
         "additionalProperties": false,
         "required": [
          "message"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     },
     {
      "$ref": "#/components/parameters/MessageId"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "messages"
    ]
   }
  },
  "/v1/conversations/{id}/messages/{messageId}/replies": {
   "get": {
    "operationId": "replies",
    "summary": "A page of a thread's replies by keyset on seq (newest first, or oldest first with after=), with the root",
    "responses": {
     "200": {
      "description": "the root and a page of its replies",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "root": {
           "$ref": "#/components/schemas/Message"
          },
          "replies": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Message"
           }
          },
          "hasMore": {
           "type": "boolean"
          },
          "nextCursor": {
           "type": "integer",
           "description": "pass as before= (or after=, when paging with after) for the next page"
          }
         },
         "additionalProperties": false,
         "required": [
          "root",
          "replies",
          "hasMore"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     },
     {
      "$ref": "#/components/parameters/MessageId"
     },
     {
      "name": "before",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1
      },
      "description": "exclusive seq bound: replies with a smaller seq, newest first (the default order); not with after"
     },
     {
      "name": "after",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 0
      },
      "description": "exclusive seq bound: replies with a greater seq, oldest first (after=0: from the first reply); not with before"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 200,
       "default": 50
      },
      "description": "page size"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "messages"
    ]
   }
  },
  "/v1/search": {
   "get": {
    "operationId": "search",
    "summary": "Full-text search in the caller's conversations",
    "responses": {
     "200": {
      "description": "results, best first",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "results": {
           "type": "array",
           "items": {
            "type": "object",
            "properties": {
             "message": {
              "$ref": "#/components/schemas/Message"
             },
             "score": {
              "type": "number"
             }
            },
            "additionalProperties": false,
            "required": [
             "message",
             "score"
            ]
           }
          },
          "excludedEncryptedConversations": {
           "type": "integer",
           "minimum": 0,
           "description": "unscoped searches: how many of the caller's end-to-end encrypted conversations were skipped (the server cannot search them)"
          }
         },
         "additionalProperties": false,
         "required": [
          "results"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "name": "q",
      "in": "query",
      "required": true,
      "schema": {
       "type": "string",
       "minLength": 1,
       "maxLength": 1024
      },
      "description": "words to find: at most 1,024 characters (Unicode code points; 400 invalid_input beyond), at least one letter or digit (400 invalid_input otherwise) and at most 16 words (409 limit_exceeded beyond); a word is a run of letters, digits and combining marks, anything else separates words"
     },
     {
      "name": "conversation",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "format": "uuid",
       "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
       "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
      },
      "description": "only this conversation"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 100,
       "default": 20
      },
      "description": "results"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "search"
    ]
   }
  },
  "/v1/conversations/{id}/receipts": {
   "get": {
    "operationId": "receipts",
    "summary": "Members' read positions (absent for members who hide them) and delivered positions (Protocol.md §3 receipts)",
    "responses": {
     "200": {
      "description": "receipts",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "receipts": {
           "type": "array",
           "items": {
            "type": "object",
            "properties": {
             "user": {
              "type": "string",
              "format": "uuid",
              "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
              "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
             },
             "readSeq": {
              "type": "integer",
              "format": "int64"
             },
             "deliveredSeq": {
              "type": "integer",
              "format": "int64"
             }
            },
            "additionalProperties": false,
            "required": [
             "user",
             "deliveredSeq"
            ]
           }
          }
         },
         "additionalProperties": false,
         "required": [
          "receipts"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     },
     {
      "name": "after",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "format": "uuid",
       "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
       "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
      },
      "description": "the last user id of the previous page"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000,
       "default": 200
      },
      "description": "page size"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "messages"
    ]
   }
  },
  "/v1/me/settings": {
   "get": {
    "operationId": "settings",
    "summary": "The caller's settings",
    "responses": {
     "200": {
      "description": "settings",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "hideReadReceipts": {
           "type": "boolean"
          }
         },
         "additionalProperties": false,
         "required": [
          "hideReadReceipts"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "auth"
    ]
   },
   "put": {
    "operationId": "updateSettings",
    "summary": "Replace the caller's settings (hideReadReceipts: keep your read position from other members)",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "hideReadReceipts": {
          "type": "boolean"
         }
        },
        "additionalProperties": false,
        "required": [
         "hideReadReceipts"
        ]
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "the new settings",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "hideReadReceipts": {
           "type": "boolean"
          }
         },
         "additionalProperties": false,
         "required": [
          "hideReadReceipts"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "auth"
    ]
   }
  },
  "/v1/feed": {
   "get": {
    "operationId": "feed",
    "summary": "The caller's own feed after a position: conversations joined, left, updated, role changes (Protocol.md §4a)",
    "responses": {
     "200": {
      "description": "entries",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "entries": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/FeedEntry"
           }
          },
          "nextAfter": {
           "type": "integer",
           "format": "int64"
          },
          "hasMore": {
           "type": "boolean"
          },
          "seq": {
           "type": "integer",
           "format": "int64",
           "description": "the feed's last seq when read"
          }
         },
         "additionalProperties": false,
         "required": [
          "entries",
          "nextAfter",
          "hasMore",
          "seq"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "name": "after",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 0,
       "default": 0
      },
      "description": "last feed seq seen, at most the feed's last seq (beyond it: 400 invalid_input)"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500,
       "default": 200
      },
      "description": "page size"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "conversations"
    ]
   }
  },
  "/v1/unread": {
   "get": {
    "operationId": "unread",
    "summary": "Unread counts per conversation",
    "responses": {
     "200": {
      "description": "counts",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "conversations": {
           "type": "array",
           "items": {
            "type": "object",
            "properties": {
             "conversation": {
              "type": "string",
              "format": "uuid",
              "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
              "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
             },
             "unread": {
              "type": "integer"
             },
             "readSeq": {
              "type": "integer",
              "format": "int64"
             }
            },
            "additionalProperties": false,
            "required": [
             "conversation",
             "unread",
             "readSeq"
            ]
           }
          }
         },
         "additionalProperties": false,
         "required": [
          "conversations"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "messages"
    ]
   }
  },
  "/v1/devices": {
   "post": {
    "operationId": "publishDevice",
    "summary": "Publish one of the caller's end-to-end devices (idempotent: publish at every login)",
    "responses": {
     "201": {
      "description": "the new device",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "device": {
           "$ref": "#/components/schemas/Device"
          }
         },
         "additionalProperties": false,
         "required": [
          "device"
         ]
        }
       }
      }
     },
     "200": {
      "description": "the same bundle was already published: the device",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "device": {
           "$ref": "#/components/schemas/Device"
          }
         },
         "additionalProperties": false,
         "required": [
          "device"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "bundle": {
          "type": "string",
          "description": "the self-signed 170-byte device bundle (Documentation/E2EE.md section 4.1) in the E2EE text form: base64url without padding; its user id must be the caller's"
         }
        },
        "additionalProperties": false,
        "required": [
         "bundle"
        ]
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "e2ee"
    ]
   }
  },
  "/v1/devices/{deviceId}": {
   "delete": {
    "operationId": "removeDevice",
    "summary": "Remove one of the caller's devices (lost, stolen, retired); its encrypted conversations then need a new key epoch",
    "responses": {
     "200": {
      "description": "the device, with removedAt",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "device": {
           "$ref": "#/components/schemas/Device"
          }
         },
         "additionalProperties": false,
         "required": [
          "device"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/DeviceId"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "e2ee"
    ]
   }
  },
  "/v1/devices/{deviceId}/envelopes": {
   "get": {
    "operationId": "deviceEnvelopes",
    "summary": "The key envelopes addressed to one of the caller's devices, ascending by the device's inbox seq",
    "responses": {
     "200": {
      "description": "a page",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "envelopes": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Envelope"
           }
          },
          "hasMore": {
           "type": "boolean"
          }
         },
         "additionalProperties": false,
         "required": [
          "envelopes",
          "hasMore"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/DeviceId"
     },
     {
      "name": "after",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 0,
       "default": 0
      },
      "description": "last inbox seq stored"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 200,
       "default": 100
      },
      "description": "page size"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "e2ee"
    ]
   }
  },
  "/v1/conversations/{id}/devices": {
   "get": {
    "operationId": "conversationDevices",
    "summary": "An encrypted conversation's key epochs and the active devices of its current members (the recipients of a new epoch)",
    "responses": {
     "200": {
      "description": "the key state and devices",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "keyEpoch": {
           "type": "integer",
           "format": "int64",
           "minimum": 0,
           "description": "the highest epoch with uploaded envelopes; 0 before the first"
          },
          "requiredEpoch": {
           "type": "integer",
           "format": "int64",
           "minimum": 1,
           "description": "the lowest epoch a new message may name"
          },
          "devices": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/ConversationDevice"
           }
          }
         },
         "additionalProperties": false,
         "required": [
          "keyEpoch",
          "requiredEpoch",
          "devices"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "e2ee"
    ]
   }
  },
  "/v1/conversations/{id}/envelopes": {
   "post": {
    "operationId": "uploadEnvelopes",
    "summary": "Upload key envelopes: start epoch keyEpoch + 1 for exactly the current devices, or share epoch keyEpoch with more devices",
    "responses": {
     "200": {
      "description": "stored",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "keyEpoch": {
           "type": "integer",
           "format": "int64",
           "minimum": 0,
           "description": "the highest epoch with uploaded envelopes; 0 before the first"
          },
          "requiredEpoch": {
           "type": "integer",
           "format": "int64",
           "minimum": 1,
           "description": "the lowest epoch a new message may name"
          },
          "stored": {
           "type": "integer",
           "minimum": 1,
           "description": "how many envelopes were stored"
          }
         },
         "additionalProperties": false,
         "required": [
          "keyEpoch",
          "requiredEpoch",
          "stored"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "epoch": {
          "type": "integer",
          "format": "int64",
          "minimum": 1
         },
         "senderDevice": {
          "type": "string",
          "format": "uuid",
          "description": "an active device of the caller that sealed the envelopes; a UUIDv7 (RFC 9562 version 7), any letter case",
          "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
         },
         "envelopes": {
          "type": "array",
          "minItems": 1,
          "maxItems": 1000,
          "items": {
           "type": "string",
           "description": "a 300-byte key envelope (Documentation/E2EE.md section 5) in the E2EE text form: base64url without padding"
          }
         }
        },
        "additionalProperties": false,
        "required": [
         "epoch",
         "senderDevice",
         "envelopes"
        ]
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "e2ee"
    ]
   }
  },
  "/healthz": {
   "get": {
    "operationId": "health",
    "summary": "200 while the process is up",
    "responses": {
     "200": {
      "description": "up",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "status": {
           "const": "ok"
          }
         },
         "additionalProperties": false,
         "required": [
          "status"
         ]
        }
       }
      }
     }
    },
    "security": [],
    "tags": [
     "operations"
    ]
   }
  },
  "/readyz": {
   "get": {
    "operationId": "ready",
    "summary": "200 when the database answers and migrations ran; 503 otherwise",
    "responses": {
     "200": {
      "description": "ready",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "status": {
           "const": "ready"
          }
         },
         "additionalProperties": false,
         "required": [
          "status"
         ]
        }
       }
      }
     },
     "503": {
      "description": "not ready",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "status": {
           "const": "not_ready"
          },
          "reason": {
           "type": "string"
          }
         },
         "additionalProperties": false,
         "required": [
          "status",
          "reason"
         ]
        }
       }
      }
     }
    },
    "security": [],
    "tags": [
     "operations"
    ]
   }
  },
  "/metrics": {
   "get": {
    "operationId": "metrics",
    "summary": "Prometheus text exposition",
    "responses": {
     "200": {
      "description": "metrics",
      "content": {
       "text/plain": {
        "schema": {
         "type": "string"
        }
       }
      }
     }
    },
    "security": [],
    "tags": [
     "operations"
    ]
   }
  },
  "/openapi.json": {
   "get": {
    "operationId": "openAPI",
    "summary": "This document",
    "responses": {
     "200": {
      "description": "OpenAPI 3.1",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     }
    },
    "security": [],
    "tags": [
     "operations"
    ]
   }
  },
  "/.well-known/jwks.json": {
   "get": {
    "operationId": "jwks",
    "summary": "The public keys access tokens are signed with (JSON Web Key Set, RFC 7517/8037): the signing key first, then the previous keys still accepted during a rotation; cacheable for 5 minutes, fetch again on an unknown kid",
    "responses": {
     "200": {
      "description": "the key set",
      "content": {
       "application/jwk-set+json": {
        "schema": {
         "type": "object",
         "properties": {
          "keys": {
           "type": "array",
           "items": {
            "type": "object",
            "properties": {
             "kty": {
              "const": "OKP"
             },
             "crv": {
              "const": "Ed25519"
             },
             "x": {
              "type": "string",
              "description": "the public key, base64url without padding"
             },
             "kid": {
              "type": "string"
             },
             "alg": {
              "const": "EdDSA"
             },
             "use": {
              "const": "sig"
             }
            },
            "additionalProperties": false,
            "required": [
             "kty",
             "crv",
             "x",
             "kid",
             "alg",
             "use"
            ]
           }
          }
         },
         "additionalProperties": false,
         "required": [
          "keys"
         ]
        }
       }
      }
     }
    },
    "security": [],
    "tags": [
     "operations"
    ]
   }
  },
  "/v1/realtime": {
   "get": {
    "operationId": "realtime",
    "summary": "WebSocket upgrade to the realtime protocol v1 (see Documentation/Protocol.md); the access token goes in the Authorization header or a first auth frame, never in the URL",
    "responses": {
     "101": {
      "description": "switching protocols to WebSocket"
     },
     "307": {
      "description": "a valid upgrade sent on a connection that already served another request: open a new connection to the same URL (Connection: close)"
     },
     "400": {
      "description": "a WebSocket upgrade without exactly one Sec-WebSocket-Key of 16 bytes in base64 (invalid_upgrade)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "a browser Origin the server's allow-list does not admit (origin_not_allowed)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "426": {
      "description": "not a WebSocket upgrade (no Upgrade: websocket / Connection: Upgrade, as with a plain GET), or a Sec-WebSocket-Version other than 13 (upgrade_required)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "headers": {
       "Upgrade": {
        "description": "websocket",
        "schema": {
         "const": "websocket"
        }
       },
       "Sec-WebSocket-Version": {
        "description": "the WebSocket version this server speaks",
        "schema": {
         "const": "13"
        }
       }
      }
     },
     "503": {
      "description": "the server is starting or shutting down and accepts no realtime connection; retry with backoff (unavailable)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [],
    "tags": [
     "realtime"
    ]
   }
  },
  "/v1/conversations/{id}/members/{userId}/kick": {
   "post": {
    "operationId": "kickMember",
    "summary": "Remove a member you outrank, with a reason recorded in the log",
    "responses": {
     "204": {
      "description": "removed; the member.left event carries the reason"
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     },
     {
      "$ref": "#/components/parameters/UserId"
     }
    ],
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "reason": {
          "type": "string",
          "maxLength": 500,
          "description": "one line, at most 500 characters (trimmed; empty: none)"
         }
        },
        "additionalProperties": false,
        "required": []
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "moderation"
    ]
   }
  },
  "/v1/conversations/{id}/bans": {
   "get": {
    "operationId": "listBans",
    "summary": "The conversation's bans by user id (owners and admins)",
    "responses": {
     "200": {
      "description": "a page",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "bans": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Ban"
           }
          }
         },
         "additionalProperties": false,
         "required": [
          "bans"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     },
     {
      "name": "after",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "format": "uuid",
       "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
       "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
      },
      "description": "the last user id of the previous page"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000,
       "default": 200
      }
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "moderation"
    ]
   }
  },
  "/v1/conversations/{id}/bans/{userId}": {
   "put": {
    "operationId": "banUser",
    "summary": "Ban a user (removed if a member; cannot be added until unbanned)",
    "responses": {
     "200": {
      "description": "the ban (the existing one when the user was banned already)",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "ban": {
           "$ref": "#/components/schemas/Ban"
          }
         },
         "additionalProperties": false,
         "required": [
          "ban"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     },
     {
      "$ref": "#/components/parameters/UserId"
     }
    ],
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "reason": {
          "type": "string",
          "maxLength": 500,
          "description": "one line, at most 500 characters (trimmed; empty: none)"
         }
        },
        "additionalProperties": false,
        "required": []
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "moderation"
    ]
   },
   "delete": {
    "operationId": "unbanUser",
    "summary": "Lift a ban",
    "responses": {
     "204": {
      "description": "not banned (any more)"
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     },
     {
      "$ref": "#/components/parameters/UserId"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "moderation"
    ]
   }
  },
  "/v1/conversations/{id}/slow-mode": {
   "put": {
    "operationId": "setSlowMode",
    "summary": "Set the slow-mode interval (owners and admins)",
    "responses": {
     "200": {
      "description": "the conversation",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "conversation": {
           "$ref": "#/components/schemas/Conversation"
          }
         },
         "additionalProperties": false,
         "required": [
          "conversation"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "seconds": {
          "type": "integer",
          "minimum": 0,
          "maximum": 21600,
          "description": "0 turns slow mode off"
         }
        },
        "additionalProperties": false,
        "required": [
         "seconds"
        ]
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "moderation"
    ]
   }
  },
  "/v1/conversations/{id}/mute": {
   "put": {
    "operationId": "mute",
    "summary": "Mute the conversation for yourself (no notifications) until a time or until unmuted",
    "responses": {
     "200": {
      "description": "the caller's mute",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Mute"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     }
    ],
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "until": {
          "type": "integer",
          "format": "int64",
          "description": "when the mute ends (in the future); absent: until unmuted"
         }
        },
        "additionalProperties": false,
        "required": []
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "moderation"
    ]
   },
   "delete": {
    "operationId": "unmute",
    "summary": "Unmute the conversation",
    "responses": {
     "204": {
      "description": "not muted"
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "moderation"
    ]
   }
  },
  "/v1/conversations/{id}/pins": {
   "get": {
    "operationId": "listPins",
    "summary": "The pinned messages, oldest pin first (members)",
    "responses": {
     "200": {
      "description": "the pins",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "pins": {
           "type": "array",
           "maxItems": 50,
           "items": {
            "$ref": "#/components/schemas/Pin"
           }
          }
         },
         "additionalProperties": false,
         "required": [
          "pins"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "moderation"
    ]
   }
  },
  "/v1/conversations/{id}/pins/{messageId}": {
   "put": {
    "operationId": "pinMessage",
    "summary": "Pin a message (owners and admins; both members of a direct conversation); at most 50",
    "responses": {
     "200": {
      "description": "the pin",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "pin": {
           "$ref": "#/components/schemas/Pin"
          }
         },
         "additionalProperties": false,
         "required": [
          "pin"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     },
     {
      "$ref": "#/components/parameters/MessageId"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "moderation"
    ]
   },
   "delete": {
    "operationId": "unpinMessage",
    "summary": "Unpin a message",
    "responses": {
     "204": {
      "description": "not pinned"
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "403": {
      "$ref": "#/components/responses/E403"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/ConversationId"
     },
     {
      "$ref": "#/components/parameters/MessageId"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "moderation"
    ]
   }
  },
  "/v1/blocks": {
   "get": {
    "operationId": "listBlocks",
    "summary": "The users you block, by user id",
    "responses": {
     "200": {
      "description": "the block list",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "blocks": {
           "type": "array",
           "maxItems": 1000,
           "items": {
            "$ref": "#/components/schemas/Block"
           }
          }
         },
         "additionalProperties": false,
         "required": [
          "blocks"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "blocks"
    ]
   }
  },
  "/v1/blocks/{userId}": {
   "put": {
    "operationId": "blockUser",
    "summary": "Block a user: their messages reach you withheld, and no direct conversation between you",
    "responses": {
     "200": {
      "description": "the block (the existing one when blocked already)",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "block": {
           "$ref": "#/components/schemas/Block"
          }
         },
         "additionalProperties": false,
         "required": [
          "block"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "404": {
      "$ref": "#/components/responses/E404"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/UserId"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "blocks"
    ]
   },
   "delete": {
    "operationId": "unblockUser",
    "summary": "Unblock a user",
    "responses": {
     "204": {
      "description": "not blocked"
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "409": {
      "$ref": "#/components/responses/E409"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "parameters": [
     {
      "$ref": "#/components/parameters/UserId"
     }
    ],
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "blocks"
    ]
   }
  },
  "/v1/notifications": {
   "get": {
    "operationId": "listNotifications",
    "summary": "The caller's notification records, newest first, with the unread count",
    "parameters": [
     {
      "name": "before",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string",
       "format": "uuid",
       "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
       "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
      },
      "description": "the last id of the previous page (records with smaller ids follow)"
     },
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 200,
       "default": 50
      },
      "description": "page size"
     }
    ],
    "responses": {
     "200": {
      "description": "a page of records",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "notifications": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Notification"
           }
          },
          "hasMore": {
           "type": "boolean",
           "description": "older records follow; ask again with before = the last id"
          },
          "unread": {
           "type": "integer",
           "minimum": 0,
           "description": "the caller's unread records (all, not only this page)"
          }
         },
         "additionalProperties": false,
         "required": [
          "notifications",
          "hasMore",
          "unread"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "notifications"
    ]
   }
  },
  "/v1/notifications/read": {
   "post": {
    "operationId": "markNotificationsRead",
    "summary": "Mark the caller's records read: those named in ids, or every unread one when the body is empty",
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "ids": {
          "type": "array",
          "maxItems": 200,
          "items": {
           "type": "string",
           "format": "uuid",
           "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
           "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
          },
          "description": "records to mark; ids of other users' records change nothing"
         }
        },
        "additionalProperties": false,
        "required": []
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "how many records changed, and how many stay unread",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "marked": {
           "type": "integer",
           "minimum": 0
          },
          "unread": {
           "type": "integer",
           "minimum": 0
          }
         },
         "additionalProperties": false,
         "required": [
          "marked",
          "unread"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "notifications"
    ]
   }
  },
  "/v1/me/push-tokens": {
   "get": {
    "operationId": "listPushTokens",
    "summary": "The caller's registered push tokens, by device (tokens themselves are not returned)",
    "responses": {
     "200": {
      "description": "the tokens",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "pushTokens": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/PushToken"
           }
          }
         },
         "additionalProperties": false,
         "required": [
          "pushTokens"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "notifications"
    ]
   }
  },
  "/v1/me/push-tokens/{deviceId}": {
   "put": {
    "operationId": "registerPushToken",
    "summary": "Register or refresh the push token of one of the caller's devices (at most 50 devices; a token held by another device moves to this one)",
    "parameters": [
     {
      "name": "deviceId",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "format": "uuid",
       "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
       "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
      },
      "description": "the client's device id (the one it names on the realtime connection)"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "platform": {
          "type": "string",
          "enum": [
           "apns",
           "fcm"
          ]
         },
         "token": {
          "type": "string",
          "minLength": 1,
          "maxLength": 4096,
          "description": "APNs: 64–200 hexadecimal digits; FCM: 1–4,096 characters of A–Z a–z 0–9 - _ : ."
         },
         "sandbox": {
          "type": "boolean",
          "default": false,
          "description": "APNs only: a development-environment token"
         }
        },
        "additionalProperties": false,
        "required": [
         "platform",
         "token"
        ]
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "the registered token",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "pushToken": {
           "$ref": "#/components/schemas/PushToken"
          }
         },
         "additionalProperties": false,
         "required": [
          "pushToken"
         ]
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "413": {
      "$ref": "#/components/responses/E413"
     },
     "415": {
      "$ref": "#/components/responses/E415"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "notifications"
    ]
   },
   "delete": {
    "operationId": "removePushToken",
    "summary": "Remove the push token of one of the caller's devices (idempotent)",
    "parameters": [
     {
      "name": "deviceId",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "format": "uuid",
       "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
       "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
      },
      "description": "the client's device id (the one it names on the realtime connection)"
     }
    ],
    "responses": {
     "204": {
      "description": "removed, or there was none"
     },
     "400": {
      "$ref": "#/components/responses/E400"
     },
     "401": {
      "$ref": "#/components/responses/E401"
     },
     "429": {
      "$ref": "#/components/responses/E429"
     },
     "503": {
      "$ref": "#/components/responses/E503"
     }
    },
    "security": [
     {
      "bearer": []
     }
    ],
    "tags": [
     "notifications"
    ]
   }
  }
 },
 "components": {
  "schemas": {
   "Error": {
    "type": "object",
    "properties": {
     "error": {
      "type": "object",
      "properties": {
       "code": {
        "type": "string",
        "description": "stable code: program against it"
       },
       "message": {
        "type": "string",
        "description": "what was wrong and how to fix it"
       }
      },
      "additionalProperties": false,
      "required": [
       "code",
       "message"
      ]
     }
    },
    "additionalProperties": false,
    "required": [
     "error"
    ]
   },
   "Account": {
    "type": "object",
    "properties": {
     "user": {
      "$ref": "#/components/schemas/User"
     },
     "roles": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "disabledAt": {
      "type": "integer",
      "description": "when the account was disabled; absent while enabled"
     }
    },
    "additionalProperties": false,
    "required": [
     "user",
     "roles"
    ]
   },
   "Retention": {
    "type": "object",
    "properties": {
     "retentionDays": {
      "type": "integer",
      "minimum": 1,
      "maximum": 36500
     },
     "setBy": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "who set the policy (the actor of the message.deleted events the sweep appends)"
     },
     "setAt": {
      "type": "integer"
     }
    },
    "additionalProperties": false,
    "required": [
     "retentionDays",
     "setBy",
     "setAt"
    ]
   },
   "User": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "handle": {
      "type": "string"
     },
     "displayName": {
      "type": "string"
     },
     "createdAt": {
      "type": "integer",
      "format": "int64",
      "description": "milliseconds since 1970-01-01T00:00:00Z"
     }
    },
    "additionalProperties": false,
    "required": [
     "id",
     "handle",
     "displayName",
     "createdAt"
    ]
   },
   "Conversation": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "kind": {
      "type": "string",
      "enum": [
       "direct",
       "group",
       "channel"
      ]
     },
     "title": {
      "type": "string"
     },
     "topic": {
      "type": "string"
     },
     "creator": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "createdAt": {
      "type": "integer",
      "format": "int64",
      "description": "milliseconds since 1970-01-01T00:00:00Z"
     },
     "lastSeq": {
      "type": "integer",
      "format": "int64"
     },
     "lastActivityAt": {
      "type": "integer",
      "format": "int64",
      "description": "milliseconds since 1970-01-01T00:00:00Z"
     },
     "encrypted": {
      "type": "boolean",
      "description": "end-to-end encrypted; fixed at creation"
     },
     "slowModeSeconds": {
      "type": "integer",
      "minimum": 0,
      "maximum": 21600,
      "description": "slow-mode interval in seconds (0: off)"
     }
    },
    "additionalProperties": false,
    "required": [
     "id",
     "kind",
     "creator",
     "createdAt",
     "lastSeq",
     "lastActivityAt",
     "encrypted",
     "slowModeSeconds"
    ]
   },
   "Member": {
    "type": "object",
    "properties": {
     "conversation": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "user": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "role": {
      "type": "string",
      "enum": [
       "member",
       "admin",
       "owner"
      ]
     },
     "joinedAt": {
      "type": "integer",
      "format": "int64",
      "description": "milliseconds since 1970-01-01T00:00:00Z"
     },
     "readSeq": {
      "type": "integer",
      "format": "int64"
     }
    },
    "additionalProperties": false,
    "required": [
     "conversation",
     "user",
     "role",
     "joinedAt",
     "readSeq"
    ]
   },
   "Attachment": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string"
     },
     "mediaType": {
      "type": "string"
     },
     "byteCount": {
      "type": "integer",
      "format": "int64"
     },
     "name": {
      "type": "string"
     }
    },
    "additionalProperties": false,
    "required": [
     "id",
     "mediaType",
     "byteCount"
    ]
   },
   "Message": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "conversation": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "sender": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "seq": {
      "type": "integer",
      "format": "int64"
     },
     "clientMessageId": {
      "type": "string"
     },
     "kind": {
      "type": "string",
      "enum": [
       "text",
       "system",
       "encrypted"
      ]
     },
     "text": {
      "type": "string",
      "description": "text and system messages; absent once deleted"
     },
     "ciphertext": {
      "type": "string",
      "contentEncoding": "base64",
      "description": "encrypted messages; absent once deleted"
     },
     "epoch": {
      "type": "integer",
      "format": "int64",
      "minimum": 1,
      "description": "encrypted messages sent with one (always in encrypted conversations): the key epoch"
     },
     "senderDevice": {
      "type": "string",
      "format": "uuid",
      "description": "with epoch: the end-to-end device that sealed the message; a UUIDv7 (RFC 9562 version 7), any letter case",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
     },
     "replyTo": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "threadRoot": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "mentions": {
      "type": "array",
      "items": {
       "type": "string",
       "format": "uuid",
       "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
       "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
      }
     },
     "attachments": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Attachment"
      }
     },
     "createdAt": {
      "type": "integer",
      "format": "int64",
      "description": "milliseconds since 1970-01-01T00:00:00Z"
     },
     "editedAt": {
      "type": "integer",
      "format": "int64",
      "description": "milliseconds since 1970-01-01T00:00:00Z"
     },
     "deletedAt": {
      "type": "integer",
      "format": "int64",
      "description": "milliseconds since 1970-01-01T00:00:00Z"
     },
     "reactions": {
      "type": "array",
      "description": "reads only (history, single message, replies): one entry per emoji, in the order the emoji were first left; absent in send, edit and delete answers and in events (apply reaction.added and reaction.removed events instead)",
      "items": {
       "$ref": "#/components/schemas/ReactionSummary"
      }
     },
     "thread": {
      "$ref": "#/components/schemas/ThreadSummary"
     },
     "hidden": {
      "type": "boolean",
      "const": true,
      "description": "present when the reader blocks the sender: the content (text, ciphertext, epoch, senderDevice, mentions, attachments) is withheld; the message keeps its id and seq"
     }
    },
    "additionalProperties": false,
    "required": [
     "id",
     "conversation",
     "sender",
     "seq",
     "clientMessageId",
     "kind",
     "mentions",
     "attachments",
     "createdAt"
    ]
   },
   "FeedEntry": {
    "type": "object",
    "properties": {
     "seq": {
      "type": "integer",
      "format": "int64"
     },
     "conversation": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "change": {
      "type": "string",
      "enum": [
       "conversation.joined",
       "conversation.left",
       "conversation.updated",
       "conversation.role",
       "conversation.deleted"
      ]
     },
     "at": {
      "type": "integer",
      "format": "int64",
      "description": "milliseconds since 1970-01-01T00:00:00Z"
     },
     "kind": {
      "type": "string",
      "enum": [
       "direct",
       "group",
       "channel"
      ]
     },
     "title": {
      "type": [
       "string",
       "null"
      ]
     },
     "topic": {
      "type": [
       "string",
       "null"
      ]
     },
     "role": {
      "type": "string",
      "enum": [
       "member",
       "admin",
       "owner"
      ]
     },
     "by": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "removedBy": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "reason": {
      "type": "string"
     },
     "banned": {
      "type": "boolean",
      "const": true
     }
    },
    "additionalProperties": false,
    "required": [
     "seq",
     "conversation",
     "change",
     "at"
    ]
   },
   "Event": {
    "type": "object",
    "properties": {
     "conversation": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "seq": {
      "type": "integer",
      "format": "int64"
     },
     "actor": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "at": {
      "type": "integer",
      "format": "int64",
      "description": "milliseconds since 1970-01-01T00:00:00Z"
     },
     "kind": {
      "type": "string",
      "enum": [
       "message.created",
       "message.edited",
       "message.deleted",
       "reaction.added",
       "reaction.removed",
       "member.joined",
       "member.left",
       "member.role_changed",
       "conversation.updated",
       "device.added",
       "device.removed",
       "key.distributed",
       "member.banned",
       "member.unbanned",
       "conversation.slow_mode",
       "message.pinned",
       "message.unpinned",
       "conversation.deleted"
      ]
     },
     "message": {
      "description": "a Message for message.created/edited/deleted, a message id for reaction.* and message.pinned/unpinned",
      "oneOf": [
       {
        "$ref": "#/components/schemas/Message"
       },
       {
        "type": "string",
        "format": "uuid",
        "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
        "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
       }
      ]
     },
     "user": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "emoji": {
      "type": "string"
     },
     "role": {
      "type": "string"
     },
     "removedBy": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "previousRole": {
      "type": "string"
     },
     "title": {
      "type": [
       "string",
       "null"
      ]
     },
     "topic": {
      "type": [
       "string",
       "null"
      ]
     },
     "device": {
      "type": "string",
      "format": "uuid",
      "description": "device.added, device.removed; a UUIDv7 (RFC 9562 version 7), any letter case",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
     },
     "epoch": {
      "type": "integer",
      "format": "int64",
      "description": "key.distributed"
     },
     "senderDevice": {
      "type": "string",
      "format": "uuid",
      "description": "key.distributed; a UUIDv7 (RFC 9562 version 7), any letter case",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
     },
     "devices": {
      "type": "array",
      "items": {
       "type": "string",
       "format": "uuid",
       "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
       "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
      },
      "description": "key.distributed: the recipient devices"
     },
     "rotated": {
      "type": "boolean",
      "description": "key.distributed: the upload started the epoch"
     },
     "reason": {
      "type": "string",
      "description": "member.left (a removal with a reason), member.banned"
     },
     "seconds": {
      "type": "integer",
      "minimum": 0,
      "maximum": 21600,
      "description": "conversation.slow_mode"
     }
    },
    "additionalProperties": true,
    "required": [
     "conversation",
     "seq",
     "actor",
     "at",
     "kind"
    ]
   },
   "Device": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string",
      "format": "uuid",
      "description": "the device id inside the bundle; a UUIDv7 (RFC 9562 version 7), any letter case",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
     },
     "user": {
      "type": "string",
      "format": "uuid",
      "description": "the owner (the user id inside the bundle); a UUIDv7 (RFC 9562 version 7), any letter case",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
     },
     "bundle": {
      "type": "string",
      "description": "the self-signed 170-byte device bundle in the E2EE text form (base64url without padding); clients verify it themselves"
     },
     "addedAt": {
      "type": "integer",
      "format": "int64",
      "description": "milliseconds since 1970-01-01T00:00:00Z"
     },
     "removedAt": {
      "type": "integer",
      "format": "int64",
      "description": "milliseconds since 1970-01-01T00:00:00Z"
     }
    },
    "additionalProperties": false,
    "required": [
     "id",
     "user",
     "bundle",
     "addedAt"
    ]
   },
   "ConversationDevice": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string",
      "format": "uuid",
      "description": "the device id inside the bundle; a UUIDv7 (RFC 9562 version 7), any letter case",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
     },
     "user": {
      "type": "string",
      "format": "uuid",
      "description": "the owner (the user id inside the bundle); a UUIDv7 (RFC 9562 version 7), any letter case",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
     },
     "bundle": {
      "type": "string",
      "description": "the self-signed 170-byte device bundle in the E2EE text form (base64url without padding); clients verify it themselves"
     },
     "addedAt": {
      "type": "integer",
      "format": "int64",
      "description": "milliseconds since 1970-01-01T00:00:00Z"
     },
     "removedAt": {
      "type": "integer",
      "format": "int64",
      "description": "milliseconds since 1970-01-01T00:00:00Z"
     },
     "hasKey": {
      "type": "boolean",
      "description": "an envelope for the conversation's keyEpoch is addressed to it"
     }
    },
    "additionalProperties": false,
    "required": [
     "id",
     "user",
     "bundle",
     "addedAt",
     "hasKey"
    ]
   },
   "Envelope": {
    "type": "object",
    "properties": {
     "seq": {
      "type": "integer",
      "format": "int64",
      "minimum": 1,
      "description": "position in the recipient device's inbox (gapless per device)"
     },
     "conversation": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "epoch": {
      "type": "integer",
      "format": "int64",
      "minimum": 1
     },
     "senderDevice": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "envelope": {
      "type": "string",
      "description": "the 300-byte key envelope in the E2EE text form (base64url without padding)"
     }
    },
    "additionalProperties": false,
    "required": [
     "seq",
     "conversation",
     "epoch",
     "senderDevice",
     "envelope"
    ]
   },
   "Session": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "deviceName": {
      "type": "string"
     },
     "clientAddress": {
      "type": "string"
     },
     "createdAt": {
      "type": "integer",
      "format": "int64",
      "description": "milliseconds since 1970-01-01T00:00:00Z"
     },
     "lastUsedAt": {
      "type": "integer",
      "format": "int64",
      "description": "milliseconds since 1970-01-01T00:00:00Z"
     },
     "expiresAt": {
      "type": "integer",
      "format": "int64",
      "description": "milliseconds since 1970-01-01T00:00:00Z"
     },
     "current": {
      "type": "boolean"
     }
    },
    "additionalProperties": false,
    "required": [
     "id",
     "deviceName",
     "createdAt",
     "lastUsedAt",
     "expiresAt",
     "current"
    ]
   },
   "Tokens": {
    "type": "object",
    "properties": {
     "accessToken": {
      "type": "string"
     },
     "accessTokenExpiresAt": {
      "type": "integer",
      "format": "int64",
      "description": "milliseconds since 1970-01-01T00:00:00Z"
     },
     "refreshToken": {
      "type": "string"
     },
     "refreshTokenExpiresAt": {
      "type": "integer",
      "format": "int64",
      "description": "milliseconds since 1970-01-01T00:00:00Z"
     },
     "user": {
      "$ref": "#/components/schemas/User"
     },
     "session": {
      "$ref": "#/components/schemas/Session"
     },
     "device": {
      "type": "object",
      "properties": {
       "id": {
        "type": "string",
        "format": "uuid",
        "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
        "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
       },
       "name": {
        "type": "string"
       }
      },
      "additionalProperties": false,
      "required": [
       "id",
       "name"
      ]
     }
    },
    "additionalProperties": false,
    "required": [
     "accessToken",
     "accessTokenExpiresAt",
     "refreshToken",
     "refreshTokenExpiresAt",
     "user",
     "session",
     "device"
    ]
   },
   "ReactionSummary": {
    "type": "object",
    "properties": {
     "emoji": {
      "type": "string",
      "description": "one emoji"
     },
     "count": {
      "type": "integer",
      "minimum": 1,
      "description": "how many users left it"
     },
     "me": {
      "type": "boolean",
      "description": "whether the caller left it"
     }
    },
    "additionalProperties": false,
    "required": [
     "emoji",
     "count",
     "me"
    ]
   },
   "ThreadSummary": {
    "type": "object",
    "description": "reads only, on a thread root with at least one reply (deleted replies count: they stay in the thread as tombstones)",
    "properties": {
     "replyCount": {
      "type": "integer",
      "minimum": 1,
      "description": "messages whose threadRoot is this message"
     },
     "lastReplySeq": {
      "type": "integer",
      "format": "int64",
      "description": "the seq of the newest reply"
     },
     "lastReplyId": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "lastReplyAt": {
      "type": "integer",
      "format": "int64",
      "description": "when the newest reply was sent, milliseconds since 1970"
     }
    },
    "additionalProperties": false,
    "required": [
     "replyCount",
     "lastReplySeq",
     "lastReplyId",
     "lastReplyAt"
    ]
   },
   "Ban": {
    "type": "object",
    "properties": {
     "conversation": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "user": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "bannedBy": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "reason": {
      "type": "string"
     },
     "bannedAt": {
      "type": "integer",
      "format": "int64",
      "description": "milliseconds since 1970-01-01T00:00:00Z"
     }
    },
    "additionalProperties": false,
    "required": [
     "conversation",
     "user",
     "bannedBy",
     "bannedAt"
    ]
   },
   "Block": {
    "type": "object",
    "properties": {
     "user": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "createdAt": {
      "type": "integer",
      "format": "int64",
      "description": "milliseconds since 1970-01-01T00:00:00Z"
     }
    },
    "additionalProperties": false,
    "required": [
     "user",
     "createdAt"
    ]
   },
   "Pin": {
    "type": "object",
    "properties": {
     "message": {
      "$ref": "#/components/schemas/Message"
     },
     "pinnedBy": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "pinnedAt": {
      "type": "integer",
      "format": "int64",
      "description": "milliseconds since 1970-01-01T00:00:00Z"
     }
    },
    "additionalProperties": false,
    "required": [
     "message",
     "pinnedBy",
     "pinnedAt"
    ]
   },
   "Mute": {
    "type": "object",
    "properties": {
     "conversation": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "muted": {
      "type": "boolean"
     },
     "mutedUntil": {
      "type": "integer",
      "format": "int64",
      "description": "when the mute ends (milliseconds since 1970); absent: until unmuted"
     }
    },
    "additionalProperties": false,
    "required": [
     "conversation",
     "muted"
    ]
   },
   "Notification": {
    "type": "object",
    "description": "A notification record: one per burst of messages the user received on no device when the conversation's batch window closed (reason offline), or per mention (reason mention).",
    "properties": {
     "id": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "conversation": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "reason": {
      "type": "string",
      "enum": [
       "offline",
       "mention"
      ]
     },
     "firstSeq": {
      "type": "integer",
      "format": "int64",
      "minimum": 1,
      "description": "first seq the notification covers"
     },
     "latestSeq": {
      "type": "integer",
      "format": "int64",
      "minimum": 1,
      "description": "latest seq it covers"
     },
     "message": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "the newest message it covers"
     },
     "count": {
      "type": "integer",
      "minimum": 1,
      "maximum": 1000,
      "description": "messages it covers (at most 1,000 are counted)"
     },
     "createdAt": {
      "type": "integer",
      "format": "int64",
      "description": "milliseconds since 1970-01-01T00:00:00Z"
     },
     "readAt": {
      "type": "integer",
      "format": "int64",
      "description": "when the user marked it read; absent while unread"
     }
    },
    "additionalProperties": false,
    "required": [
     "id",
     "conversation",
     "reason",
     "firstSeq",
     "latestSeq",
     "count",
     "createdAt"
    ]
   },
   "PushToken": {
    "type": "object",
    "description": "A device's registered push token; the token itself is never sent back.",
    "properties": {
     "device": {
      "type": "string",
      "format": "uuid",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
      "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
     },
     "platform": {
      "type": "string",
      "enum": [
       "apns",
       "fcm"
      ]
     },
     "sandbox": {
      "type": "boolean",
      "description": "APNs development environment"
     },
     "updatedAt": {
      "type": "integer",
      "format": "int64",
      "description": "milliseconds since 1970-01-01T00:00:00Z"
     }
    },
    "additionalProperties": false,
    "required": [
     "device",
     "platform",
     "sandbox",
     "updatedAt"
    ]
   }
  },
  "responses": {
   "E400": {
    "description": "invalid JSON, an unknown field or parameter, or an invalid value (codes invalid_json, unknown_field, unknown_parameter, missing_field, invalid_input, weak_password)",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "E401": {
    "description": "no, invalid or expired access token, or a revoked session (codes unauthorized, invalid_token, token_expired, session_revoked; invalid_credentials at login; refresh_token_reused at refresh)",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "E403": {
    "description": "a member whose role does not allow the action (forbidden), a disabled account (account_disabled), a direct conversation between users one of whom blocks the other (blocked), or adding a banned user (banned)",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "E404": {
    "description": "no such resource, or not visible to the caller: non-members get 404 for conversations they are not in (not_found, route_not_found)",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "E409": {
    "description": "the request contradicts the current state (conflict, limit_exceeded, handle_taken, refresh_conflict), or an encrypted conversation needs a new key epoch before the next message (rekey_required)",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "E413": {
    "description": "the request body is over the server's limit (body_too_large)",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "E415": {
    "description": "the body is not sent as application/json (unsupported_media_type)",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "E429": {
    "description": "rate limited (rate_limited), or a send within the conversation's slow-mode interval (slow_mode); retry after the Retry-After header's seconds",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    },
    "headers": {
     "Retry-After": {
      "description": "seconds to wait",
      "schema": {
       "type": "integer"
      }
     }
    }
   },
   "E503": {
    "description": "the database is failing or busy (unavailable)",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   }
  },
  "parameters": {
   "ConversationId": {
    "name": "id",
    "in": "path",
    "required": true,
    "schema": {
     "type": "string",
     "format": "uuid",
     "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
     "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
    },
    "description": "conversation id"
   },
   "MessageId": {
    "name": "messageId",
    "in": "path",
    "required": true,
    "schema": {
     "type": "string",
     "format": "uuid",
     "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
     "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
    }
   },
   "UserId": {
    "name": "userId",
    "in": "path",
    "required": true,
    "schema": {
     "type": "string",
     "format": "uuid",
     "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
     "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
    }
   },
   "SessionId": {
    "name": "sessionId",
    "in": "path",
    "required": true,
    "schema": {
     "type": "string",
     "format": "uuid",
     "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
     "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
    }
   },
   "DeviceId": {
    "name": "deviceId",
    "in": "path",
    "required": true,
    "schema": {
     "type": "string",
     "format": "uuid",
     "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
     "description": "a UUIDv7 (RFC 9562 version 7), any letter case"
    },
    "description": "end-to-end device id (the id inside its bundle)"
   },
   "Emoji": {
    "name": "emoji",
    "in": "path",
    "required": true,
    "schema": {
     "type": "string"
    },
    "description": "the emoji, percent-encoded UTF-8"
   },
   "Handle": {
    "name": "handle",
    "in": "path",
    "required": true,
    "schema": {
     "type": "string",
     "pattern": "^(?:[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]{0,37}[A-Za-z0-9][A-Za-z0-9._-]{2,31}[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]{0,37}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12})$"
    },
    "description": "a handle (3-32 of a-z 0-9 . _ - (not starting with . _ -); ASCII capitals are accepted and lowercased, and white space around the handle is trimmed (the pattern allows up to 37 white-space characters on each side; the server accepts up to 256 bytes in all)), or a user id (a UUIDv7)"
   }
  },
  "securitySchemes": {
   "bearer": {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "the accessToken of login or refresh"
   }
  }
 }
}
"""#
}
