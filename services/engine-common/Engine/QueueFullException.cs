namespace Omni.Common.Engine;

/// <summary>Raised when the waiting queue is full.</summary>
public sealed class QueueFullException(int capacity) : Exception($"The engine queue is full ({capacity} waiting).");
