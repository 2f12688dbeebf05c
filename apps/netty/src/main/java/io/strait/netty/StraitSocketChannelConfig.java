package io.strait.netty;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannelConfig;
import io.strait.apps.api.Connection;

import java.util.Map;

/**
 * The socket options of a {@link StraitSocketChannel}, mapped onto the engine: {@code TCP_NODELAY} is Nagle off
 * (the default, as Netty's), {@code SO_KEEPALIVE} the engine's keepalive, {@code SO_LINGER 0} an abortive close
 * (RST), {@code ALLOW_HALF_CLOSURE} a FIN from the peer raised as {@code ChannelInputShutdownEvent} instead of a
 * close. {@code SO_SNDBUF} and {@code SO_RCVBUF} cap this connection's send buffer and advertised receive window
 * within the core's buffers (at least two MSS; a cap under the core's size stops autotuning, as a set SO_*BUF does
 * on Linux, and one above it lets autotuning grow the buffer up to it); read on the event loop of a connected
 * channel they give the size in force, else the value set (or the core's size when none was set). On an accepted
 * connection the SYN-ACK's window went out before this channel existed and is never taken back (RFC 9293 §3.8.6),
 * so there SO_RCVBUF holds once that first window (at most 64 KB) has been used.
 */
final class StraitSocketChannelConfig extends DefaultChannelConfig implements SocketChannelConfig {
    private final StraitSocketChannel channel;
    private volatile boolean tcpNoDelay = true;
    private volatile boolean keepAlive;
    private volatile int soLinger = -1;
    private volatile boolean allowHalfClosure;
    /** SO_SNDBUF / SO_RCVBUF as set; 0 = not set (the core's sizes, autotuning on). */
    private volatile int sendBufferSize;
    private volatile int receiveBufferSize;
    private volatile int trafficClass;

    StraitSocketChannelConfig(StraitSocketChannel channel) {
        super(channel);
        this.channel = channel;
    }

    /** Applies the options that the engine holds per connection. Core thread only. */
    void apply(Connection c) {
        c.setNagle(!tcpNoDelay);
        c.setKeepalive(keepAlive);
        applyBuffers(c);
    }

    /** SO_SNDBUF and SO_RCVBUF, also right after an active open (so the SYN's window obeys SO_RCVBUF). */
    void applyBuffers(Connection c) {
        c.setSendBufferLimit(sendBufferSize);
        c.setReceiveBufferLimit(receiveBufferSize);
    }

    @Override
    public Map<ChannelOption<?>, Object> getOptions() {
        return getOptions(super.getOptions(), ChannelOption.TCP_NODELAY, ChannelOption.SO_KEEPALIVE,
            ChannelOption.SO_LINGER, ChannelOption.SO_SNDBUF, ChannelOption.SO_RCVBUF, ChannelOption.IP_TOS,
            ChannelOption.SO_REUSEADDR, ChannelOption.ALLOW_HALF_CLOSURE);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getOption(ChannelOption<T> option) {
        if (option == ChannelOption.TCP_NODELAY) {
            return (T) Boolean.valueOf(isTcpNoDelay());
        }
        if (option == ChannelOption.SO_KEEPALIVE) {
            return (T) Boolean.valueOf(isKeepAlive());
        }
        if (option == ChannelOption.SO_LINGER) {
            return (T) Integer.valueOf(getSoLinger());
        }
        if (option == ChannelOption.SO_SNDBUF) {
            return (T) Integer.valueOf(getSendBufferSize());
        }
        if (option == ChannelOption.SO_RCVBUF) {
            return (T) Integer.valueOf(getReceiveBufferSize());
        }
        if (option == ChannelOption.IP_TOS) {
            return (T) Integer.valueOf(getTrafficClass());
        }
        if (option == ChannelOption.SO_REUSEADDR) {
            return (T) Boolean.valueOf(isReuseAddress());
        }
        if (option == ChannelOption.ALLOW_HALF_CLOSURE) {
            return (T) Boolean.valueOf(isAllowHalfClosure());
        }
        return super.getOption(option);
    }

    @Override
    public <T> boolean setOption(ChannelOption<T> option, T value) {
        validate(option, value);
        if (option == ChannelOption.TCP_NODELAY) {
            setTcpNoDelay((Boolean) value);
        } else if (option == ChannelOption.SO_KEEPALIVE) {
            setKeepAlive((Boolean) value);
        } else if (option == ChannelOption.SO_LINGER) {
            setSoLinger((Integer) value);
        } else if (option == ChannelOption.SO_SNDBUF) {
            setSendBufferSize((Integer) value);
        } else if (option == ChannelOption.SO_RCVBUF) {
            setReceiveBufferSize((Integer) value);
        } else if (option == ChannelOption.IP_TOS) {
            setTrafficClass((Integer) value);
        } else if (option == ChannelOption.SO_REUSEADDR) {
            setReuseAddress((Boolean) value);
        } else if (option == ChannelOption.ALLOW_HALF_CLOSURE) {
            setAllowHalfClosure((Boolean) value);
        } else {
            return super.setOption(option, value);
        }
        return true;
    }

    @Override
    public boolean isTcpNoDelay() {
        return tcpNoDelay;
    }

    @Override
    public StraitSocketChannelConfig setTcpNoDelay(boolean tcpNoDelay) {
        this.tcpNoDelay = tcpNoDelay;
        channel.optionChanged();
        return this;
    }

    @Override
    public int getSoLinger() {
        return soLinger;
    }

    @Override
    public StraitSocketChannelConfig setSoLinger(int soLinger) {
        this.soLinger = soLinger;
        return this;
    }

    @Override
    public int getSendBufferSize() {
        final int inForce = channel.bufferBytes(true);
        return inForce > 0 ? inForce : sendBufferSize > 0 ? sendBufferSize : channel.coreBufferBytes(true);
    }

    @Override
    public StraitSocketChannelConfig setSendBufferSize(int sendBufferSize) {
        if (sendBufferSize <= 0) {
            throw new IllegalArgumentException("SO_SNDBUF must be positive: " + sendBufferSize);
        }
        this.sendBufferSize = sendBufferSize;
        channel.optionChanged();
        return this;
    }

    @Override
    public int getReceiveBufferSize() {
        final int inForce = channel.bufferBytes(false);
        return inForce > 0 ? inForce : receiveBufferSize > 0 ? receiveBufferSize : channel.coreBufferBytes(false);
    }

    @Override
    public StraitSocketChannelConfig setReceiveBufferSize(int receiveBufferSize) {
        if (receiveBufferSize <= 0) {
            throw new IllegalArgumentException("SO_RCVBUF must be positive: " + receiveBufferSize);
        }
        this.receiveBufferSize = receiveBufferSize;
        channel.optionChanged();
        return this;
    }

    @Override
    public boolean isKeepAlive() {
        return keepAlive;
    }

    @Override
    public StraitSocketChannelConfig setKeepAlive(boolean keepAlive) {
        this.keepAlive = keepAlive;
        channel.optionChanged();
        return this;
    }

    @Override
    public int getTrafficClass() {
        return trafficClass;
    }

    @Override
    public StraitSocketChannelConfig setTrafficClass(int trafficClass) {
        this.trafficClass = trafficClass;
        return this;
    }

    @Override
    public boolean isReuseAddress() {
        return true; // Strait never holds a port against reuse: TIME_WAIT is per four-tuple
    }

    @Override
    public StraitSocketChannelConfig setReuseAddress(boolean reuseAddress) {
        return this;
    }

    @Override
    public StraitSocketChannelConfig setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
        return this;
    }

    @Override
    public boolean isAllowHalfClosure() {
        return allowHalfClosure;
    }

    @Override
    public StraitSocketChannelConfig setAllowHalfClosure(boolean allowHalfClosure) {
        this.allowHalfClosure = allowHalfClosure;
        return this;
    }

    @Override
    public StraitSocketChannelConfig setConnectTimeoutMillis(int connectTimeoutMillis) {
        super.setConnectTimeoutMillis(connectTimeoutMillis);
        return this;
    }

    @Override
    @Deprecated
    public StraitSocketChannelConfig setMaxMessagesPerRead(int maxMessagesPerRead) {
        super.setMaxMessagesPerRead(maxMessagesPerRead);
        return this;
    }

    @Override
    public StraitSocketChannelConfig setWriteSpinCount(int writeSpinCount) {
        super.setWriteSpinCount(writeSpinCount);
        return this;
    }

    @Override
    public StraitSocketChannelConfig setAllocator(ByteBufAllocator allocator) {
        super.setAllocator(allocator);
        return this;
    }

    @Override
    public StraitSocketChannelConfig setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
        super.setRecvByteBufAllocator(allocator);
        return this;
    }

    @Override
    public StraitSocketChannelConfig setAutoRead(boolean autoRead) {
        super.setAutoRead(autoRead);
        return this;
    }

    @Override
    public StraitSocketChannelConfig setAutoClose(boolean autoClose) {
        super.setAutoClose(autoClose);
        return this;
    }

    @Override
    public StraitSocketChannelConfig setWriteBufferHighWaterMark(int writeBufferHighWaterMark) {
        super.setWriteBufferHighWaterMark(writeBufferHighWaterMark);
        return this;
    }

    @Override
    public StraitSocketChannelConfig setWriteBufferLowWaterMark(int writeBufferLowWaterMark) {
        super.setWriteBufferLowWaterMark(writeBufferLowWaterMark);
        return this;
    }

    @Override
    public StraitSocketChannelConfig setWriteBufferWaterMark(WriteBufferWaterMark writeBufferWaterMark) {
        super.setWriteBufferWaterMark(writeBufferWaterMark);
        return this;
    }

    @Override
    public StraitSocketChannelConfig setMessageSizeEstimator(MessageSizeEstimator estimator) {
        super.setMessageSizeEstimator(estimator);
        return this;
    }
}
