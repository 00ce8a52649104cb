// MessagingWebSocket: see WebSocketListener.swift
